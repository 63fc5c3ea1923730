import { Clock, SystemClock } from '@app/common';
import type { Connection } from 'mongoose';

/** Questions per measurement: the one with the shortest round trip gives the tightest offset. */
const SAMPLES = 3;

/** How far MongoDB's clock is ahead of the local one, and within how much that is known. */
export interface ClockOffset {
  offsetMs: number;
  /** Half the round trip of the sample used: the server read its clock somewhere inside it. */
  uncertaintyMs: number;
}

/**
 * "Now" on MongoDB's clock. Every notifier compares lease times that the others wrote (a
 * delivery is due again when its `nextAttemptAt` has passed), so they must all read one clock,
 * and the database's is the one they share: a notifier whose own clock is minutes off neither
 * takes a delivery another one still holds nor lets its own lease lapse early. It is the local
 * clock plus an offset measured by asking the server its time (`hello`'s `localTime`), again
 * every few seconds (`sync`); in between the local clock carries it.
 */
export class ServerClock extends Clock {
  private offsetMs = 0;

  constructor(
    private readonly connection: Connection,
    private readonly local: Clock = new SystemClock(),
  ) {
    super();
  }

  now(): Date {
    return new Date(this.local.now().getTime() + this.offsetMs);
  }

  /** Measures the offset again; until it succeeds the last one stays. */
  async sync(): Promise<ClockOffset> {
    let best: ClockOffset | undefined;
    for (let i = 0; i < SAMPLES; i += 1) {
      const sample = await this.sample();
      if (best === undefined || sample.uncertaintyMs < best.uncertaintyMs) best = sample;
    }
    this.offsetMs = best!.offsetMs;
    return best!;
  }

  private async sample(): Promise<ClockOffset> {
    const db = this.connection.db;
    if (db === undefined) throw new Error('MongoDB is not connected');
    const sent = this.local.now().getTime();
    const hello = await db.admin().command({ hello: 1 });
    const received = this.local.now().getTime();
    const serverMs = (hello.localTime as Date).getTime();
    return {
      offsetMs: Math.round(serverMs - (sent + received) / 2),
      uncertaintyMs: Math.ceil((received - sent) / 2),
    };
  }
}

import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ServerClock } from '@app/dal';

/**
 * How often the notifier measures MongoDB's clock again: a local clock stepped in between (NTP,
 * an operator) shows in claims and leases for at most this long.
 */
export const CLOCK_SYNC_INTERVAL_MS = 10_000;
/** An offset beyond this is worth telling the operator about once per measurement. */
const WARN_OFFSET_MS = 1_000;

/** Keeps the notifier's clock (a ServerClock) on MongoDB's; see ADR 0009. */
@Injectable()
export class ClockSync implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ClockSync.name);
  /** Shutting down: the connection is about to close, and a failed measurement means nothing. */
  private stopping = false;

  constructor(private readonly clock: ServerClock) {}

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  @Interval(CLOCK_SYNC_INTERVAL_MS)
  async sync(): Promise<void> {
    if (this.stopping) return;
    try {
      const { offsetMs, uncertaintyMs } = await this.clock.sync();
      if (Math.abs(offsetMs) > WARN_OFFSET_MS) {
        this.logger.warn(
          { offsetMs, uncertaintyMs },
          `this host's clock is ${Math.abs(offsetMs)} ms ${offsetMs < 0 ? 'ahead of' : 'behind'} MongoDB's: claims and leases follow MongoDB's`,
        );
      }
    } catch (error) {
      if (this.stopping) return;
      this.logger.warn(
        `measuring MongoDB's clock failed, keeping the last offset: ${String(error)}`,
      );
    }
  }
}

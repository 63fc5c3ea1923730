import { Injectable, Logger } from '@nestjs/common';
import { groupBy } from '@app/common';
import { AppQuotaReader, RateLimitRepository } from '@app/dal';

/**
 * Slots booked beyond a batch's, for the app's next batches: a twentieth of a second of its quota
 * (50 at the default 1,000 a second; none under 20). Booking is a write to one shared document
 * per app; at a few messages a batch it was one such write per batch, beside every insert.
 */
const BOOK_AHEAD_SECONDS = 0.05;
/**
 * Slots booked ahead and not used within this long are dropped: unused, they are quota the app
 * did not use, and kept they would let a quiet app's next second start with more than its quota.
 */
const BOOKED_AHEAD_FOR_MS = 1_000;
/** Apps holding slots booked ahead beyond which the expired ones are dropped (apps gone quiet). */
const SWEEP_AT = 1_000;

/** Consecutive slots of one app booked and not used yet. */
interface BookedAhead {
  next: number;
  left: number;
  perSecond: number;
  until: number;
}

/**
 * An app's messagesPerSecond quota at intake. AMQP cannot answer 429, and a message the broker
 * handed us is never refused for it: it is stored and acknowledged like any other, but its first
 * attempts are booked at the app's pace (across every notifier, RateLimitRepository.pace), so a
 * flooding app's deliveries are stored unclaimed, due later, and other apps' messages go first.
 * HTTP messages pass here too: their app's pace is the same quota, counted once more.
 */
@Injectable()
export class IntakePacer {
  private readonly logger = new Logger(IntakePacer.name);
  private readonly bookedAhead = new Map<string, BookedAhead>();

  constructor(
    private readonly quotas: AppQuotaReader,
    private readonly rateLimits: RateLimitRepository,
  ) {}

  /**
   * When the first attempts of messages over their app's pace may start; the others: now. A
   * failure to read or book the pace defers nothing: the quota never holds up or refuses intake.
   */
  async deferrals(
    messages: readonly { _id: string; appId: string }[],
    now: Date,
  ): Promise<Map<string, Date>> {
    try {
      return await this.book(messages, now);
    } catch (error) {
      this.logger.warn(`pacing intake failed, nothing deferred: ${String(error)}`);
      return new Map();
    }
  }

  private async book(
    messages: readonly { _id: string; appId: string }[],
    now: Date,
  ): Promise<Map<string, Date>> {
    const byApp = groupBy(messages, (message) => message.appId);
    if (byApp.size === 0) return new Map();
    const quotas = await this.quotas.quotasOfMany([...byApp.keys()]);
    const deferred = new Map<string, Date>();
    await Promise.all(
      [...byApp].map(async ([appId, group]) => {
        const ids = group.map((message) => message._id);
        const perSecond = quotas.get(appId)!.messagesPerSecond;
        for (const [messageId, due] of await this.slots(appId, ids, perSecond, now)) {
          deferred.set(messageId, due);
        }
      }),
    );
    return deferred;
  }

  /**
   * The slots of these messages that are later than a second from now: the first ones from the
   * slots this notifier booked ahead for the app, the rest booked now, with the next batches'.
   */
  private async slots(
    appId: string,
    ids: readonly string[],
    perSecond: number,
    now: Date,
  ): Promise<[string, Date][]> {
    const ahead = this.takeBookedAhead(appId, ids.length, perSecond, now);
    const fromAhead =
      ahead === undefined
        ? []
        : deferredSlots(ids.slice(0, ahead.count), ahead.start, perSecond, now);
    const rest = ids.slice(ahead?.count ?? 0);
    if (rest.length === 0) return fromAhead;
    const extra = Math.floor(perSecond * BOOK_AHEAD_SECONDS);
    const start = await this.rateLimits.pace(
      `intake:${appId}`,
      perSecond,
      rest.length + extra,
      now,
    );
    if (extra > 0) {
      if (this.bookedAhead.size >= SWEEP_AT) this.dropExpired(now);
      this.bookedAhead.set(appId, {
        next: start.getTime() + Math.ceil((rest.length * 1_000) / perSecond),
        left: extra,
        perSecond,
        until: now.getTime() + BOOKED_AHEAD_FOR_MS,
      });
    }
    return [...fromAhead, ...deferredSlots(rest, start, perSecond, now)];
  }

  /** Up to `count` of the slots booked ahead for the app, if still good: how many, and the first. */
  private takeBookedAhead(
    appId: string,
    count: number,
    perSecond: number,
    now: Date,
  ): { count: number; start: Date } | undefined {
    const ahead = this.bookedAhead.get(appId);
    if (ahead === undefined) return undefined;
    if (ahead.perSecond !== perSecond || ahead.until <= now.getTime()) {
      this.bookedAhead.delete(appId);
      return undefined;
    }
    const taken = Math.min(count, ahead.left);
    const start = new Date(ahead.next);
    ahead.left -= taken;
    ahead.next += Math.ceil((taken * 1_000) / perSecond);
    if (ahead.left === 0) this.bookedAhead.delete(appId);
    return { count: taken, start };
  }

  private dropExpired(now: Date): void {
    for (const [appId, ahead] of this.bookedAhead) {
      if (ahead.until <= now.getTime()) this.bookedAhead.delete(appId);
    }
  }
}

/**
 * Message i of a batch has the slot `start + i / perSecond`. A second's worth goes at once (the
 * quota is per second, however bunched); a slot later than that is when the message's first
 * attempts are due.
 */
export function deferredSlots(
  ids: readonly string[],
  start: Date,
  perSecond: number,
  now: Date,
): [string, Date][] {
  const horizon = now.getTime() + 1_000;
  return ids.flatMap((id, index): [string, Date][] => {
    const slot = start.getTime() + Math.floor((index * 1_000) / perSecond);
    return slot < horizon ? [] : [[id, new Date(slot)]];
  });
}

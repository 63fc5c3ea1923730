import { Injectable, Logger } from '@nestjs/common';
import { groupBy } from '@app/common';
import { AppQuotaReader, RateLimitRepository } from '@app/dal';

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
        const start = await this.rateLimits.pace(`intake:${appId}`, perSecond, ids.length, now);
        for (const [messageId, due] of deferredSlots(ids, start, perSecond, now)) {
          deferred.set(messageId, due);
        }
      }),
    );
    return deferred;
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

import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DeliveryRepository, type AttemptStartMarks, type DeliveryEntity } from '@app/dal';

/** A delivery that must not be attempted again: why, and when its last attempt started. */
export interface Poisoned {
  reason: string;
  lastStartedAt: Date;
}

/**
 * The durable "attempt started" marker that poison detection rests on. Before a batch of attempts
 * starts, one write marks each delivery `attemptStartedAt`; the outcome write clears it. A delivery
 * claimed again with the marker still set had an attempt that started and whose lease expired
 * without an outcome: its notifier died during the attempt (or could not reach MongoDB). Those
 * are counted (`abandonedAttempts`), and at POISON_AFTER_ABANDONED_ATTEMPTS the delivery is failed
 * instead of handed to the next notifier to die the same way. A delivery that was only claimed by
 * a notifier that died carries no marker and is not counted.
 *
 * The marks are group-committed: while one write is in flight, the batches that arrive wait and
 * go together in the next one. An attempt to a busy endpoint starts each time another ends, so
 * without it every attempt would cost a write of its own before it could start.
 */
@Injectable()
export class AttemptStarts {
  private queued: {
    marks: AttemptStartMarks;
    written: () => void;
    failed: (error: unknown) => void;
  }[] = [];
  private writing = false;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  /**
   * Marks these claimed deliveries' attempts as started, in one round trip, and returns those that
   * must not start (poison), by delivery id.
   */
  async begin(
    deliveries: readonly DeliveryEntity[],
    claimToken: string,
  ): Promise<Map<string, Poisoned>> {
    const poisoned = new Map<string, Poisoned>();
    const started: string[] = [];
    const abandoned: string[] = [];
    for (const delivery of deliveries) {
      const lastStartedAt = delivery.attemptStartedAt;
      if (lastStartedAt !== undefined && lastStartedAt !== null) {
        abandoned.push(delivery._id);
        const count = (delivery.abandonedAttempts ?? 0) + 1;
        if (count >= this.config.poisonAfterAbandonedAttempts) {
          poisoned.set(delivery._id, { reason: poisonReason(count, lastStartedAt), lastStartedAt });
          continue;
        }
      }
      started.push(delivery._id);
    }
    if (started.length > 0 || abandoned.length > 0) {
      await this.write({ claimToken, started, abandoned });
    }
    return poisoned;
  }

  /** Resolves once these marks are written, with whatever else arrived meanwhile. */
  private write(marks: AttemptStartMarks): Promise<void> {
    return new Promise((written, failed) => {
      this.queued.push({ marks, written, failed });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0);
      try {
        await this.deliveries.markAttemptsStarted(
          batch.map((entry) => entry.marks),
          this.clock.now(),
        );
        for (const entry of batch) entry.written();
      } catch (error) {
        for (const entry of batch) entry.failed(error);
      }
    }
    this.writing = false;
  }
}

export function poisonReason(abandoned: number, lastStartedAt: Date): string {
  return (
    `poison: ${abandoned} ${abandoned === 1 ? 'attempt' : 'attempts'} started and never ended (the last at ` +
    `${lastStartedAt.toISOString()}): each time the notifier running it stopped before recording ` +
    'an outcome, so it is not tried again; redeliver it once the cause is fixed'
  );
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DeliveryRepository, type AttemptStartMarks, type DeliveryEntity } from '@app/dal';
import { deliveryBatchFields } from '../log-fields';

/** A delivery that must not be attempted again: why, and when its last attempt started. */
export interface Poisoned {
  reason: string;
  lastStartedAt: Date;
}

/**
 * The durable "attempt started" marker that poison detection rests on. An attempt starts only once
 * a write says it may; the outcome write clears the marks. A delivery claimed again with
 * `attemptStartedAt` still set had an attempt that started and whose lease expired without an
 * outcome: its notifier died during the attempt (or could not reach MongoDB). Those are counted
 * (`abandonedAttempts`), and at POISON_AFTER_ABANDONED_ATTEMPTS the delivery is failed instead of
 * handed to the next notifier to die the same way.
 *
 * The write that claims a delivery no earlier attempt marked (the claim, or intake's insert)
 * also marks it ready for this claim (`readyClaim`): its attempt starts without a write of its
 * own, however long it waits here for its endpoint, so a busy endpoint's next attempt starts the
 * moment the last one ends. Intake marks the deliveries it starts at once started outright. A
 * claim that finds another claim's `readyClaim` cannot tell whether that attempt started: it is
 * not counted, and the next attempt is marked started, in a write of its own, before it starts.
 * So a delivery that was only claimed by a notifier that died is never counted, and a poison
 * delivery is counted from its second death at the latest (ADR 0010).
 *
 * Those writes of their own are group-committed: while one is in flight, the batches that arrive
 * wait and go together in the next one. Should one fail, the attempts start all the same:
 * at-least-once comes first, and the next claim counts what this one could not.
 */
@Injectable()
export class AttemptStarts {
  private readonly logger = new Logger(AttemptStarts.name);
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
   * Marks the attempts of these claimed deliveries started where their claim did not (in one round
   * trip, shared with other batches), and returns those that must not start (poison), by id. It
   * does not throw: a failed write is logged, and they start unmarked.
   */
  async begin(
    deliveries: readonly DeliveryEntity[],
    claimToken: string,
  ): Promise<Map<string, Poisoned>> {
    const poisoned = new Map<string, Poisoned>();
    const started: string[] = [];
    const abandoned: string[] = [];
    for (const delivery of deliveries) {
      if (delivery.readyClaim === claimToken) continue;
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
    if (started.length === 0 && abandoned.length === 0) return poisoned;
    try {
      await this.write({ claimToken, started, abandoned });
    } catch (error) {
      this.logger.warn(
        deliveryBatchFields(deliveries),
        `marking ${deliveries.length} attempts started failed: ${String(error)}`,
      );
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

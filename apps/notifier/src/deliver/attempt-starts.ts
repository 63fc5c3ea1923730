import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DeliveryRepository, type DeliveryEntity } from '@app/dal';

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
 */
@Injectable()
export class AttemptStarts {
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
    await this.deliveries.markAttemptsStarted(started, abandoned, claimToken, this.clock.now());
    return poisoned;
  }
}

export function poisonReason(abandoned: number, lastStartedAt: Date): string {
  return (
    `poison: ${abandoned} ${abandoned === 1 ? 'attempt' : 'attempts'} started and never ended (the last at ` +
    `${lastStartedAt.toISOString()}): each time the notifier running it stopped before recording ` +
    'an outcome, so it is not tried again; redeliver it once the cause is fixed'
  );
}

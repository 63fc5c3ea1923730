import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { OrderingKeyRepository, type EndedOrderedDelivery } from '@app/dal';
import type { PlannedOutcome } from './plan-outcome';

/**
 * Ordered delivery, once outcomes are written (ADR 0013): an ordered delivery that ended hands
 * its key on to the key's next held delivery, which is due at once; or, when it failed and its
 * endpoint says `orderedBlockOnFailure`, blocks the key on itself until an operator redelivers it
 * or skips the key. Listeners hear how many deliveries were made due (the scheduler claims them).
 */
@Injectable()
export class KeyHandOff {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly keys: OrderingKeyRepository,
    private readonly clock: Clock,
  ) {}

  /** Called when deliveries were handed on: they are due now. */
  onHandedOn(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** After a batch of outcomes was written. */
  async afterOutcomes(batch: readonly PlannedOutcome[]): Promise<void> {
    await this.handOff(
      batch.flatMap((outcome) =>
        outcome.ordering === undefined || outcome.update.status === 'pending'
          ? []
          : [
              endedOrdered(
                { ...outcome, ...outcome.ordering },
                outcome.update.status === 'failed' && outcome.ordering.blockOnFailure
                  ? (outcome.update.lastError ?? 'failed')
                  : undefined,
              ),
            ],
      ),
    );
  }

  /** These ordered deliveries ended: their keys go on, or block (`blockWith` set). */
  async handOff(ended: readonly EndedOrderedDelivery[]): Promise<void> {
    const handedOn = await this.keys.ended(ended, this.clock.now());
    if (handedOn.length > 0) for (const listener of this.listeners) listener();
  }
}

/** An ended ordered delivery; `blockWith`: why it failed, when its key is to wait for an operator. */
export function endedOrdered(
  delivery: {
    deliveryId: string;
    messageId: string;
    endpointId: string;
    key: string;
    sequence: number;
  },
  blockWith: string | undefined,
): EndedOrderedDelivery {
  return {
    deliveryId: delivery.deliveryId,
    messageId: delivery.messageId,
    endpointId: delivery.endpointId,
    key: delivery.key,
    sequence: delivery.sequence,
    ...(blockWith === undefined ? {} : { blockWith }),
  };
}

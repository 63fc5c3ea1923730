import { newId } from '@app/common';
import type { DeliveryEntity, EndpointEntity, MessageEntity } from '@app/dal';
import type { DeliverySlots } from './store-messages.command';

/**
 * Turns stored messages into their deliveries, claiming for this worker those it can take a slot
 * for: the app's fair share and the endpoint's limit here (SlotAccountant). Beyond that (or while
 * an endpoint's circuit is open) a delivery is stored unclaimed, due now: the scheduler takes it
 * when there is room, here or in another notifier. A message deferred by its app's pace gets its
 * deliveries unclaimed, due then.
 */
export class FanOut {
  /** Deliveries planned claimed, each holding a slot until handed on or given back. */
  private readonly taken: DeliveryEntity[] = [];
  private readonly lease: { claimToken: string; leaseUntil: Date };

  constructor(
    private readonly slots: DeliverySlots,
    private readonly endpoints: ReadonlyMap<string, EndpointEntity>,
    claimToken: string,
    private readonly now: Date,
    leaseMs: number,
    private readonly deferred: ReadonlyMap<string, Date>,
  ) {
    this.lease = { claimToken, leaseUntil: new Date(now.getTime() + leaseMs) };
  }

  plan(messages: readonly MessageEntity[], { claim = true } = {}): DeliveryEntity[] {
    return messages.flatMap((message) =>
      message.targetEndpointIds.flatMap((endpointId) => {
        const endpoint = this.endpoints.get(endpointId);
        if (endpoint === undefined || endpoint.appId !== message.appId) return [];
        const dueAt = this.deferred.get(message._id);
        if (dueAt !== undefined)
          return [newDelivery(message, endpoint, this.now, undefined, dueAt)];
        const claimed =
          claim &&
          endpoint.circuitOpenUntil === undefined &&
          this.slots.tryTake(message.appId, endpoint._id, endpoint.timeoutMs);
        const delivery = newDelivery(message, endpoint, this.now, claimed ? this.lease : undefined);
        if (claimed) this.taken.push(delivery);
        return [delivery];
      }),
    );
  }

  /** Gives back the slots of every delivery planned claimed but `kept`. */
  giveBackAllBut(kept: readonly DeliveryEntity[]): void {
    const keep = new Set(kept);
    for (const delivery of this.taken.splice(0)) {
      if (!keep.has(delivery)) this.slots.giveBack(delivery.appId, delivery.endpointId);
    }
  }
}

function newDelivery(
  message: MessageEntity,
  endpoint: EndpointEntity,
  now: Date,
  claim: { claimToken: string; leaseUntil: Date } | undefined,
  dueAt: Date = now,
): DeliveryEntity {
  return {
    _id: newId('dlv'),
    appId: message.appId,
    messageId: message._id,
    endpointId: endpoint._id,
    channel: endpoint.channel,
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: claim?.leaseUntil ?? dueAt,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: claim?.claimToken ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

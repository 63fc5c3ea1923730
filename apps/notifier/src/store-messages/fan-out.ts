import {
  newDelivery,
  type DeliveryEntity,
  type EndpointEntity,
  type MessageEntity,
} from '@app/dal';
import type { DeliverySlots } from './store-messages.command';

/**
 * Turns stored messages into their deliveries, claiming for this worker those it can take a slot
 * for: the app's fair share and the endpoint's limit here (SlotAccountant). Beyond that (or while
 * an endpoint's circuit is open) a delivery is stored unclaimed, due now: the scheduler takes it
 * when there is room, here or in another notifier. A message deferred by its app's pace gets its
 * deliveries unclaimed, due then (known once the pace is booked: see `defer`). A delivery claimed
 * is marked in its insert (ADR 0010): started if it starts at once, else ready to. A message with
 * an ordering key gets its deliveries to ordered endpoints `held`, never claimed (ADR 0013).
 */
export class FanOut {
  /** Deliveries planned claimed, each holding a slot until handed on or given back. */
  private readonly taken: DeliveryEntity[] = [];
  /** Deliveries planned claimed that start at once, by endpoint. */
  private readonly startingAt = new Map<string, number>();
  private dueAtByMessage: ReadonlyMap<string, Date> = new Map();
  private readonly lease: { claimToken: string; leaseUntil: Date };

  constructor(
    private readonly slots: DeliverySlots,
    private endpoints: ReadonlyMap<string, EndpointEntity>,
    claimToken: string,
    private readonly now: Date,
    leaseMs: number,
  ) {
    this.lease = { claimToken, leaseUntil: new Date(now.getTime() + leaseMs) };
  }

  /** Plans from these endpoints from now on (intake checked the ones it held). */
  use(endpoints: ReadonlyMap<string, EndpointEntity>): void {
    this.endpoints = endpoints;
  }

  /** From now on, messages over their app's pace get their deliveries due then (IntakePacer). */
  defer(dueAtByMessage: ReadonlyMap<string, Date>): void {
    this.dueAtByMessage = dueAtByMessage;
  }

  /** These unclaimed deliveries, planned before `defer`, with the pace's due times. */
  deferred(deliveries: readonly DeliveryEntity[]): DeliveryEntity[] {
    return deliveries.map((delivery) => {
      const dueAt = this.dueAtByMessage.get(delivery.messageId);
      return dueAt === undefined ? delivery : { ...delivery, nextAttemptAt: dueAt };
    });
  }

  plan(messages: readonly MessageEntity[], { claim = true } = {}): DeliveryEntity[] {
    return messages.flatMap((message) =>
      message.targetEndpointIds.flatMap((endpointId) => {
        const endpoint = this.endpoints.get(endpointId);
        if (endpoint === undefined || endpoint.appId !== message.appId) return [];
        const of = { appId: message.appId, messageId: message._id, endpoint };
        const dueAt = this.dueAtByMessage.get(message._id);
        if (message.orderingKey !== undefined && endpoint.ordered === true) {
          // Numbered before it is written (OrderedDeliveries); its key hands on to it.
          const ordering = { key: message.orderingKey, sequence: 0 };
          return [
            newDelivery({ ...of, ordering, ...(dueAt === undefined ? {} : { dueAt }) }, this.now),
          ];
        }
        if (dueAt !== undefined) return [newDelivery({ ...of, dueAt }, this.now)];
        const claimed =
          claim &&
          endpoint.circuitOpenUntil === undefined &&
          this.slots.tryTake(message.appId, endpoint._id, endpoint.timeoutMs);
        if (!claimed) return [newDelivery(of, this.now)];
        const starting = this.startingAt.get(endpoint._id) ?? 0;
        const startsAtOnce = this.slots.startsAtOnce(endpoint._id, starting);
        if (startsAtOnce) this.startingAt.set(endpoint._id, starting + 1);
        const delivery = newDelivery(
          { ...of, claim: { ...this.lease, startedAt: startsAtOnce ? this.now : null } },
          this.now,
        );
        this.taken.push(delivery);
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

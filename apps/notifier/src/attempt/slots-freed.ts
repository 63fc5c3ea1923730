import type { DeliveryEntity } from '@app/dal';
import type { SlotAccountant } from '../isolation/slot-accountant';

/**
 * Heard (synchronously) whenever delivery slots may be free again: with the endpoint whose
 * attempt ended, or without one when claimed deliveries were handed back or a batch of outcomes
 * was written (which may lift SlotAccountant.throttle). The claim scheduler listens
 * (DeliveryScheduler.onSlotsFreed) to claim again without waiting for its interval.
 */
export type SlotsFreedListener = (endpointId?: string) => void;

/**
 * The way back from an attempt to the claim: gives the slots of deliveries the dispatcher is done
 * with back to the SlotAccountant, then tells the listeners, and whoever waits for the dispatcher
 * to hold nothing (graceful shutdown).
 */
export class SlotsFreed {
  private readonly listeners: SlotsFreedListener[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly slots: SlotAccountant) {}

  listen(listener: SlotsFreedListener): void {
    this.listeners.push(listener);
  }

  /** Their slots are given back; `endpointId`: the endpoint whose attempt ended. */
  giveBack(
    deliveries: readonly Pick<DeliveryEntity, 'appId' | 'endpointId'>[],
    endpointId?: string,
  ): void {
    for (const delivery of deliveries) this.slots.giveBack(delivery.appId, delivery.endpointId);
    this.tell(endpointId);
    if (this.slots.total > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Tells the listeners without giving anything back (slots may be usable again). */
  tell(endpointId?: string): void {
    for (const listener of this.listeners) listener(endpointId);
  }

  /** Resolves when no slot is held any more. */
  whenNoneHeld(): Promise<void> {
    if (this.slots.total === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

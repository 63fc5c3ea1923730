import type { Clock } from '@app/common';
import type { DeliveryEntity, EndpointEntity, MessageEntity } from '@app/dal';
import type { EndpointGate } from '../isolation/endpoint-gate';
import type { SlotAccountant } from '../isolation/slot-accountant';

/** A claimed delivery on its way to an attempt, with what the attempt needs. */
export interface Waiting {
  delivery: DeliveryEntity;
  claimToken: string;
  endpoint: EndpointEntity | undefined;
  message: MessageEntity | undefined;
}

/**
 * Per endpoint, the claimed deliveries waiting in this notifier for the endpoint to have room,
 * oldest claim first. Rather than hand back what a busy endpoint cannot take yet, a few rounds of
 * it wait here and start the moment an attempt to that endpoint ends: a busy endpoint keeps all
 * its attempt slots busy without a claim per slot. About a second of the endpoint's attempts waits
 * at most, and nothing once a round of them timed out (SlotAccountant.allowanceFor); memory stays
 * bounded by DELIVERY_CONCURRENCY.
 */
export class EndpointQueues {
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(
    private readonly slots: SlotAccountant,
    private readonly gate: EndpointGate,
    private readonly clock: Clock,
  ) {}

  /** Endpoints with deliveries waiting. */
  endpointIds(): string[] {
    return [...this.waiting.keys()];
  }

  /**
   * Whether a delivery of this endpoint goes to the gate at once rather than wait here, after
   * `starting` others of its batch do: it waits behind others already waiting, or over the
   * endpoint's limit while some of it runs (queueOrStart also sends it on past the allowance).
   */
  startsAtOnce(endpointId: string, starting: number): boolean {
    const active = this.slots.runningAt(endpointId) + starting;
    const waiting = this.waiting.get(endpointId)?.length ?? 0;
    return active === 0 || (waiting === 0 && starting < this.gate.roomFor(endpointId));
  }

  /** Queues the items that must wait for their endpoint; returns those to start now. */
  queueOrStart(items: readonly Waiting[]): Waiting[] {
    const now: Waiting[] = [];
    const startingNow = new Map<string, number>();
    for (const item of items) {
      const id = item.delivery.endpointId;
      if (item.endpoint !== undefined) {
        this.slots.noteTimeout(id, item.endpoint.timeoutMs);
      }
      const starting = startingNow.get(id) ?? 0;
      const queue = this.waiting.get(id) ?? [];
      // Otherwise the gate decides (and postpones what it does not admit).
      const wait =
        !this.startsAtOnce(id, starting) &&
        this.slots.runningAt(id) + starting + queue.length < this.slots.allowanceFor(id);
      if (wait) {
        queue.push(item);
        this.waiting.set(id, queue);
      } else {
        now.push(item);
        startingNow.set(id, starting + 1);
      }
    }
    return now;
  }

  /**
   * Takes what may start of the endpoint's queue now, as far as the gate has room. When it has
   * none and nothing of the endpoint runs (its circuit opened, its rate limit is spent), or with
   * `all`, everything goes, for the gate to postpone what it does not admit. `late`: taken, but
   * too late to start within their lease.
   */
  next(endpointId: string, all = false): { inTime: Waiting[]; late: DeliveryEntity[] } {
    const queue = this.waiting.get(endpointId);
    if (queue === undefined) return { inTime: [], late: [] };
    let room = all ? queue.length : this.gate.roomFor(endpointId);
    if (room === 0) {
      if (this.slots.runningAt(endpointId) > 0) return { inTime: [], late: [] };
      room = queue.length;
    }
    // Beyond what may wait now (the endpoint slowed down), the rest goes to the gate at once,
    // which postpones what it cannot admit.
    const waitable = Math.max(
      0,
      this.slots.allowanceFor(endpointId) - this.slots.runningAt(endpointId) - room,
    );
    const next = queue.splice(0, Math.max(room, queue.length - waitable));
    if (queue.length === 0) this.waiting.delete(endpointId);
    const now = this.clock.now();
    const inTime = next.filter((item) =>
      this.slots.startsInTime(endpointId, item.delivery.nextAttemptAt, now),
    );
    const late = next.filter((item) => !inTime.includes(item)).map((item) => item.delivery);
    return { inTime, late };
  }
}

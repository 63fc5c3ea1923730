import type { DeliveryView, MessageDetail, MessageSummary } from '@app/contracts';

/** One line of `notify tail`: a delivery that is new or changed since the last look. */
export interface TailEvent {
  /** When the CLI noticed the change. */
  observedAt: string;
  messageId: string;
  eventType: string;
  messageStatus: MessageSummary['status'];
  /** null for a message that matched no endpoint (`status: "no_endpoints"`). */
  deliveryId: string | null;
  endpointId: string | null;
  channel: DeliveryView['channel'] | null;
  status: DeliveryView['status'] | 'no_endpoints';
  attemptCount: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

interface Tracked {
  status: MessageSummary['status'];
  createdAt: number;
  /** delivery id -> what was last reported about it */
  deliveries: Map<string, string>;
  /** While pending: when to look at it again even if its summary did not change. */
  recheckAt: number;
}

export interface TrackerOptions {
  /** Only this endpoint's deliveries. */
  endpointId?: string | undefined;
  /** Messages created within this long of the newest one seen are always looked at. */
  recentMs?: number;
  /** A pending message is looked at again at least this often. */
  maxRecheckMs?: number;
  /** At most this many messages are remembered; the oldest go first. */
  maxTracked?: number;
}

/**
 * The memory of `notify tail`: which messages and delivery states it has reported, which
 * messages it must fetch again, and the window of the message list worth asking for.
 */
export class DeliveryTracker {
  private readonly tracked = new Map<string, Tracked>();
  private readonly recentMs: number;
  private readonly maxRecheckMs: number;
  private readonly maxTracked: number;
  private newestCreatedAt = 0;

  constructor(
    private readonly start: Date,
    private readonly options: TrackerOptions = {},
  ) {
    this.recentMs = options.recentMs ?? 60_000;
    this.maxRecheckMs = options.maxRecheckMs ?? 5_000;
    this.maxTracked = options.maxTracked ?? 10_000;
  }

  /**
   * The `since` of the next list request: the start, or a minute before the newest message seen
   * (a message stored by another notifier may become visible with a slightly older createdAt).
   */
  windowStart(): Date {
    return new Date(Math.max(this.start.getTime(), this.newestCreatedAt - this.recentMs));
  }

  /** Whether a listed message must be fetched: unseen, changed, or pending and due a look. */
  needsDetail(summary: MessageSummary, now: Date): boolean {
    const known = this.tracked.get(summary.id);
    if (known === undefined || known.status !== summary.status) return true;
    if (summary.status !== 'pending') return false;
    return (
      known.createdAt >= this.newestCreatedAt - this.recentMs || now.getTime() >= known.recheckAt
    );
  }

  /** Pending messages no longer in the list window whose time for another look has come. */
  dueForRecheck(now: Date, listed: ReadonlySet<string>): string[] {
    const due: string[] = [];
    for (const [id, known] of this.tracked) {
      if (known.status === 'pending' && !listed.has(id) && now.getTime() >= known.recheckAt) {
        due.push(id);
      }
    }
    return due;
  }

  /** Records the message's state; returns an event per delivery that is new or changed. */
  observe(message: MessageDetail, now: Date): TailEvent[] {
    const createdAt = Date.parse(message.createdAt);
    this.newestCreatedAt = Math.max(this.newestCreatedAt, createdAt);
    const known = this.tracked.get(message.id);
    const reported = known?.deliveries ?? new Map<string, string>();
    const deliveries = message.deliveries.filter(
      (delivery) =>
        this.options.endpointId === undefined || delivery.endpointId === this.options.endpointId,
    );
    const events: TailEvent[] = [];
    const base = {
      observedAt: now.toISOString(),
      messageId: message.id,
      eventType: message.eventType,
      messageStatus: message.status,
    };
    if (message.status === 'no_endpoints' && known === undefined) {
      events.push({
        ...base,
        deliveryId: null,
        endpointId: null,
        channel: null,
        status: 'no_endpoints',
        attemptCount: 0,
        nextAttemptAt: null,
        lastError: null,
        deliveredAt: null,
      });
    }
    for (const delivery of deliveries) {
      const state = `${delivery.status}|${delivery.attemptCount}|${delivery.lastError ?? ''}`;
      if (reported.get(delivery.id) === state) continue;
      reported.set(delivery.id, state);
      events.push({
        ...base,
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        channel: delivery.channel,
        status: delivery.status,
        attemptCount: delivery.attemptCount,
        nextAttemptAt: delivery.nextAttemptAt,
        lastError: delivery.lastError,
        deliveredAt: delivery.deliveredAt,
      });
    }
    this.tracked.delete(message.id);
    this.tracked.set(message.id, {
      status: message.status,
      createdAt,
      deliveries: reported,
      recheckAt: this.recheckAt(deliveries, now),
    });
    this.prune();
    return events;
  }

  /** A message that disappeared (404): stop looking at it. */
  forget(messageId: string): void {
    this.tracked.delete(messageId);
  }

  get size(): number {
    return this.tracked.size;
  }

  /** Just after the earliest next attempt, and no later than maxRecheckMs from now. */
  private recheckAt(deliveries: readonly DeliveryView[], now: Date): number {
    const latest = now.getTime() + this.maxRecheckMs;
    const next = deliveries
      .filter((delivery) => delivery.status === 'pending' && delivery.nextAttemptAt !== null)
      .map((delivery) => Date.parse(delivery.nextAttemptAt!) + 200);
    return Math.min(latest, ...next);
  }

  /** Final messages outside the window go first, then the oldest beyond the cap. */
  private prune(): void {
    if (this.tracked.size <= this.maxTracked) return;
    const windowStart = this.windowStart().getTime();
    for (const [id, known] of this.tracked) {
      if (known.status !== 'pending' && known.createdAt < windowStart) this.tracked.delete(id);
    }
    for (const id of this.tracked.keys()) {
      if (this.tracked.size <= this.maxTracked) return;
      this.tracked.delete(id);
    }
  }
}

import type { DeliveryView, MessageDetail, MessageSummary } from '@app/contracts';
import { DeliveryTracker } from './delivery-tracker';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function delivery(overrides: Partial<DeliveryView> = {}): DeliveryView {
  return {
    id: 'dlv_1',
    messageId: 'msg_1',
    endpointId: 'ep_1',
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: T0.toISOString(),
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    fallbackFor: null,
    sequence: null,
    ...overrides,
  };
}

function message(
  deliveries: DeliveryView[],
  overrides: Partial<MessageDetail> = {},
): MessageDetail {
  return {
    id: 'msg_1',
    eventType: 'order.paid',
    payload: {},
    idempotencyKey: null,
    orderingKey: null,
    status: deliveries.some((d) => d.status === 'pending') ? 'pending' : 'delivered',
    createdAt: T0.toISOString(),
    deliveries,
    ...overrides,
  };
}

const summary = ({
  id,
  eventType,
  payload,
  idempotencyKey,
  orderingKey,
  status,
  createdAt,
}: MessageDetail): MessageSummary => ({
  id,
  eventType,
  payload,
  idempotencyKey,
  orderingKey,
  status,
  createdAt,
});

describe('DeliveryTracker', () => {
  it('reports a delivery when first seen and on each change, not when unchanged', () => {
    const tracker = new DeliveryTracker(T0);
    expect(tracker.observe(message([delivery()]), at(10))).toHaveLength(1);
    expect(tracker.observe(message([delivery()]), at(20))).toEqual([]);
    const failed = delivery({ attemptCount: 1, lastError: 'HTTP 500' });
    expect(tracker.observe(message([failed]), at(30))).toEqual([
      expect.objectContaining({
        deliveryId: 'dlv_1',
        status: 'pending',
        attemptCount: 1,
        lastError: 'HTTP 500',
      }),
    ]);
    const done = delivery({ status: 'succeeded', attemptCount: 2, nextAttemptAt: null });
    expect(tracker.observe(message([done]), at(40))).toEqual([
      expect.objectContaining({ status: 'succeeded', attemptCount: 2, messageStatus: 'delivered' }),
    ]);
  });

  it('fetches a listed message when unseen, changed, or pending and recent', () => {
    const tracker = new DeliveryTracker(T0);
    const pending = message([delivery()]);
    expect(tracker.needsDetail(summary(pending), at(0))).toBe(true);
    tracker.observe(pending, at(0));
    expect(tracker.needsDetail(summary(pending), at(100))).toBe(true);
    const done = message([delivery({ status: 'succeeded', nextAttemptAt: null })]);
    expect(tracker.needsDetail(summary(done), at(100))).toBe(true);
    tracker.observe(done, at(100));
    expect(tracker.needsDetail(summary(done), at(200))).toBe(false);
  });

  it('looks at an old pending message again only around its next attempt', () => {
    const tracker = new DeliveryTracker(T0, { recentMs: 1_000, maxRecheckMs: 60_000 });
    const old = message([delivery({ nextAttemptAt: at(30_000).toISOString() })]);
    tracker.observe(old, at(0));
    // a newer message moves the "recent" window past the old one
    tracker.observe(
      message([], { id: 'msg_2', status: 'no_endpoints', createdAt: at(5_000).toISOString() }),
      at(5_000),
    );
    expect(tracker.needsDetail(summary(old), at(10_000))).toBe(false);
    expect(tracker.dueForRecheck(at(10_000), new Set())).toEqual([]);
    expect(tracker.dueForRecheck(at(30_300), new Set())).toEqual(['msg_1']);
    expect(tracker.dueForRecheck(at(30_300), new Set(['msg_1']))).toEqual([]);
  });

  it('reports a message that matched no endpoint once', () => {
    const tracker = new DeliveryTracker(T0);
    const none = message([], { status: 'no_endpoints' });
    expect(tracker.observe(none, at(0))).toEqual([
      expect.objectContaining({ messageId: 'msg_1', deliveryId: null, status: 'no_endpoints' }),
    ]);
    expect(tracker.observe(none, at(10))).toEqual([]);
  });

  it("shows only the chosen endpoint's deliveries", () => {
    const tracker = new DeliveryTracker(T0, { endpointId: 'ep_2' });
    const events = tracker.observe(
      message([delivery(), delivery({ id: 'dlv_2', endpointId: 'ep_2' })]),
      at(0),
    );
    expect(events.map((event) => event.deliveryId)).toEqual(['dlv_2']);
  });

  it('asks for the window from the start, then a minute before the newest message', () => {
    const tracker = new DeliveryTracker(T0);
    expect(tracker.windowStart()).toEqual(T0);
    tracker.observe(
      message([], { status: 'no_endpoints', createdAt: at(300_000).toISOString() }),
      at(300_000),
    );
    expect(tracker.windowStart()).toEqual(at(240_000));
  });

  it('forgets the oldest messages beyond its cap', () => {
    const tracker = new DeliveryTracker(T0, { maxTracked: 2 });
    for (const id of ['msg_1', 'msg_2', 'msg_3']) {
      tracker.observe(message([delivery({ messageId: id })], { id }), at(0));
    }
    expect(tracker.size).toBe(2);
  });
});

import type { AttemptResult, NotificationChannel } from '@app/channels';
import { SystemClock } from '@app/common';
import type { NotifierConfig } from '@app/config';
import type { DeliveryEntity, EndpointEntity, MessageEntity, MessageRepository } from '@app/dal';
import type { EndpointGate } from '../isolation/endpoint-gate';
import type { EndpointCache } from '../store-messages/endpoint-cache';
import { AttemptRunner } from './attempt-runner';
import type { AttemptStarts, Poisoned } from './attempt-starts';
import { SlotAccountant } from '../isolation/slot-accountant';
import { MapChannelRegistry } from './channel-registry';
import { DeliveryDispatcher } from './delivery-dispatcher';
import type { Preloaded } from './look-up';
import type { OutcomeWriter } from '../record-outcomes/outcome-writer';
import type { PlannedOutcome } from '../record-outcomes/plan-outcome';

const CONCURRENCY = 2;
const T0 = new Date('2026-11-26T08:00:00.000Z');

const endpoint: EndpointEntity = {
  _id: 'ep_1',
  appId: 'app_1',
  channel: 'webhook',
  url: 'https://example.com/hook',
  eventTypes: ['*'],
  timeoutMs: 10_000,
  headers: {},
  enabled: true,
  consecutiveFailures: 0,
  secrets: [],
  recipientTokenHash: 'hash',
  createdAt: T0,
  updatedAt: T0,
};

const message: MessageEntity = {
  _id: 'msg_1',
  appId: 'app_1',
  eventType: 'order.paid',
  payload: {},
  targetEndpointIds: ['ep_1'],
  status: 'pending',
  createdAt: T0,
};

function claimed(id: string): DeliveryEntity {
  return {
    _id: id,
    appId: 'app_1',
    messageId: 'msg_1',
    endpointId: 'ep_1',
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    // The lease: far enough ahead for every attempt to start in time.
    nextAttemptAt: new Date(Date.now() + 90_000),
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: 'claim_1',
    createdAt: T0,
    updatedAt: T0,
  };
}

/** The gate as far as the dispatcher sees it: the endpoint's limit, the rest postponed. */
class FakeGate {
  readonly postponed: string[] = [];
  /** Its MongoDB write fails (the rate limit's count, the postponements). */
  failing = false;

  constructor(private readonly slots: SlotAccountant) {}

  roomFor(): number {
    return this.slots.runRoom('ep_1');
  }

  unavailableEndpoints(): string[] {
    return [];
  }

  admit(deliveries: readonly DeliveryEntity[]): Promise<DeliveryEntity[]> {
    if (this.failing) return Promise.reject(new Error('MongoNetworkError: connection reset'));
    const admitted = deliveries.slice(0, this.roomFor());
    this.slots.startAttempts('ep_1', admitted.length);
    for (let i = admitted.length; i < deliveries.length; i++) this.slots.attemptEnded('ep_1');
    this.postponed.push(...deliveries.slice(admitted.length).map((d) => d._id));
    return Promise.resolve(admitted);
  }
}

/** A channel whose attempts end when the test says so. */
class ManualChannel implements NotificationChannel {
  readonly started: string[] = [];
  private readonly pending: ((result: AttemptResult) => void)[] = [];

  send(job: { messageId: string }): Promise<AttemptResult> {
    this.started.push(job.messageId);
    return new Promise((resolve) => this.pending.push(resolve));
  }

  get running(): number {
    return this.pending.length;
  }

  finishOne(statusCode = 200): void {
    this.pending.shift()?.({
      outcome: statusCode < 300 ? 'delivered' : 'transient',
      durationMs: 1,
      statusCode,
    });
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(poisoned = new Map<string, Poisoned>()) {
  const config = {
    deliveryConcurrency: 50,
    endpointConcurrency: CONCURRENCY,
    leaseMs: 90_000,
    retrySchedule: [15_000],
  } as NotifierConfig;
  const slots = new SlotAccountant(config);
  const gate = new FakeGate(slots);
  const channel = new ManualChannel();
  const written: string[] = [];
  const outcomes: PlannedOutcome[] = [];
  const writer = {
    backlog: 0,
    onWritten: () => undefined,
    add: (outcome: PlannedOutcome) => {
      written.push(outcome.deliveryId);
      outcomes.push(outcome);
    },
  };
  /** What was marked started, one batch per call. */
  const marked: string[][] = [];
  const attemptStarts = {
    begin: (deliveries: readonly DeliveryEntity[]) => {
      marked.push(deliveries.map((d) => d._id));
      return Promise.resolve(poisoned);
    },
  };
  const clock = new SystemClock();
  const runner = new AttemptRunner(
    new MapChannelRegistry(new Map([['webhook', channel]])),
    clock,
    config,
    slots,
  );
  const dispatcher = new DeliveryDispatcher(
    runner,
    {} as EndpointCache,
    {} as MessageRepository,
    writer as unknown as OutcomeWriter,
    clock,
    gate as unknown as EndpointGate,
    attemptStarts as unknown as AttemptStarts,
    slots,
  );
  const preloaded = {
    endpoints: new Map([[endpoint._id, endpoint]]),
    messages: new Map([[message._id, message]]),
  };
  // Each delivery holds a slot before it is dispatched, as intake and the scheduler take them.
  const dispatch = (ids: string[]) => {
    ids.forEach(() => slots.take('app_1', 'ep_1'));
    return dispatcher.dispatch(ids.map(claimed), 'claim_1', { preloaded });
  };
  return { gate, channel, written, outcomes, marked, dispatcher, dispatch, slots };
}

describe('DeliveryDispatcher: attempt starts', () => {
  it('marks what the gate admits started, in one batch, before any attempt runs', async () => {
    const { gate, channel, marked, dispatch } = setup();
    await dispatch(['a', 'b', 'c']);
    await settle();
    // c was postponed by the gate: never started, so never marked.
    expect(gate.postponed).toEqual(['c']);
    expect(marked).toEqual([['a', 'b']]);
    expect(channel.started).toHaveLength(2);
  });

  it('fails a poisoned delivery without attempting it, and attempts the others', async () => {
    const lastStartedAt = new Date(Date.now() - 20_000);
    const { channel, outcomes, slots, dispatch } = setup(
      new Map([['a', { reason: 'poison: 3 attempts started and never ended', lastStartedAt }]]),
    );
    await dispatch(['a', 'b']);
    await settle();
    expect(channel.started).toHaveLength(1);
    expect(outcomes).toEqual([
      expect.objectContaining({
        deliveryId: 'a',
        terminal: true,
        update: expect.objectContaining({
          status: 'failed',
          attemptCount: 1,
          lastError: 'poison: 3 attempts started and never ended',
        }),
        attempt: expect.objectContaining({ outcome: 'failed', startedAt: lastStartedAt }),
      }),
    ]);
    // The poisoned one gave its slot back.
    expect(slots.runningAt('ep_1')).toBe(1);
    expect(outcomes[0]!.health).toBeUndefined();
  });
});

describe('DeliveryDispatcher: a busy endpoint’s deliveries', () => {
  it('are postponed by the gate while the endpoint’s pace is unknown', async () => {
    const { gate, channel, dispatch } = setup();
    await dispatch(['a', 'b', 'c']);
    await settle();
    expect(channel.running).toBe(CONCURRENCY);
    expect(gate.postponed).toEqual(['c']);
  });

  it('wait here once the endpoint is known to be fast, and start as attempts end', async () => {
    const { gate, channel, written, dispatch, slots } = setup();
    await dispatch(['a', 'b']);
    await settle();
    channel.finishOne();
    channel.finishOne();
    await settle();
    // Fast attempts: a few rounds may now wait here rather than be handed back.
    expect(slots.allowanceFor('ep_1')).toBeGreaterThan(CONCURRENCY);

    await dispatch(['c', 'd', 'e', 'f', 'g']);
    await settle();
    expect(channel.running).toBe(CONCURRENCY);
    for (let i = 0; i < 5; i++) {
      channel.finishOne();
      await settle();
      await settle();
    }
    expect(written).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(gate.postponed).toEqual([]);
    expect(slots.runningAt('ep_1')).toBe(0);
    expect(slots.total).toBe(0);
  });

  it('get fewer attempts in flight once the endpoint answers 503 (it asks for less)', async () => {
    const { channel, dispatch, slots } = setup();
    await dispatch(['a', 'b']);
    await settle();
    channel.finishOne(503);
    channel.finishOne(503);
    await settle();
    expect(slots.limitFor('ep_1')).toBe(1);
  });

  it('go to the gate at shutdown instead of waiting', async () => {
    const { gate, channel, dispatcher, dispatch } = setup();
    await dispatch(['a', 'b']);
    await settle();
    channel.finishOne();
    channel.finishOne();
    await settle();
    await dispatch(['c', 'd', 'e']);
    await settle();
    const idle = dispatcher.whenIdle();
    await settle();
    // Nothing left waiting: the gate (closed at shutdown) has decided about everything.
    expect(gate.postponed).toEqual(['e']);
    channel.finishOne();
    channel.finishOne();
    await idle;
  });
});

describe('DeliveryDispatcher: when what it reads or writes fails', () => {
  it('attempts nothing the gate could not decide about, and gives their slots back', async () => {
    const { gate, channel, marked, dispatch, slots } = setup();
    gate.failing = true;
    await dispatch(['a', 'b']);
    await settle();
    // Left claimed: their leases bring them back, to any notifier.
    expect(channel.started).toEqual([]);
    expect(marked).toEqual([]);
    expect(slots.total).toBe(0);
  });

  it('gives the slots back when the look-up fails, and says so', async () => {
    const { channel, dispatcher, slots } = setup();
    slots.take('app_1', 'ep_1');
    const failed = dispatcher.dispatch([claimed('a')], 'claim_1', {
      preloaded: Promise.reject(new Error('MongoNetworkError: connection reset')),
    });
    await expect(failed).rejects.toThrow('connection reset');
    expect(channel.started).toEqual([]);
    expect(slots.total).toBe(0);
  });
});

describe('DeliveryDispatcher: what a delivery needs is gone', () => {
  it.each<[string, Preloaded, string]>([
    [
      'its endpoint was deleted',
      { endpoints: new Map(), messages: new Map([[message._id, message]]) },
      'the endpoint was deleted',
    ],
    [
      'its message is not stored',
      { endpoints: new Map([[endpoint._id, endpoint]]), messages: new Map() },
      'its message is not stored (removed, or never stored by a notifier that died)',
    ],
  ])(
    'cancels a delivery when %s, saying which, without attempting it',
    async (_, preloaded, reason) => {
      const { channel, outcomes, dispatcher, slots } = setup();
      slots.take('app_1', 'ep_1');
      await dispatcher.dispatch([claimed('a')], 'claim_1', { preloaded });
      await settle();
      expect(channel.started).toEqual([]);
      expect(outcomes).toEqual([
        expect.objectContaining({
          deliveryId: 'a',
          update: expect.objectContaining({ status: 'cancelled', lastError: reason }),
        }),
      ]);
      expect(slots.total).toBe(0);
    },
  );
});

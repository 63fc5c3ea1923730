import type { Connection } from 'mongoose';
import { Clock } from '@app/common';
import { loadConfig, notifierConfigSchema, type NotifierConfig } from '@app/config';
import {
  AppQuotaReader,
  AppRepository,
  DeliveryRepository,
  EndpointCircuitRepository,
  openConnection,
  RateLimitRepository,
  type AppEntity,
  type DeliveryEntity,
  type EndpointEntity,
} from '@app/dal';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { ChannelQuota } from './channel-quota';
import { EndpointGate } from './endpoint-gate';
import { Postponements } from './postponements';
import { SlotAccountant } from './slot-accountant';

/** Time moves only when the test says so. */
class FakeClock extends Clock {
  constructor(public ms: number) {
    super();
  }

  now(): Date {
    return new Date(this.ms);
  }
}

/** rate-window.schema.ts's entity, which the DAL keeps to itself. */
type RateWindow = { _id: string; count: number; expiresAt: Date };

const COOLDOWN_MS = 30_000;

/**
 * Near the real time (rate windows expire by a TTL index on the real clock), 300 ms into a
 * second, so that a rate limit's next second is 700 ms away.
 */
const T = Math.floor(Date.now() / 1_000) * 1_000 + 300;
const LEASE_UNTIL = new Date(T + 90_000);

function endpoint(id: string, extra: Partial<EndpointEntity> = {}): EndpointEntity {
  return {
    _id: id,
    appId: 'app_1',
    channel: 'webhook',
    url: `https://shop.test/${id}`,
    eventTypes: ['*'],
    timeoutMs: 10_000,
    headers: {},
    enabled: true,
    consecutiveFailures: 0,
    secrets: [],
    recipientTokenHash: `hash_${id}`,
    createdAt: new Date(T),
    updatedAt: new Date(T),
    ...extra,
  };
}

/** Claimed by `claimToken`, as the scheduler or intake leaves it: due again when its lease ends. */
function claimed(id: string, endpointId: string, claimToken = 'claim_1'): DeliveryEntity {
  return {
    _id: id,
    appId: 'app_1',
    messageId: `msg_${id}`,
    endpointId,
    channel: 'webhook',
    status: 'pending',
    attemptCount: 2,
    nextAttemptAt: LEASE_UNTIL,
    lastAttemptAt: null,
    lastError: 'HTTP 503',
    deliveredAt: null,
    claimToken,
    readyClaim: claimToken,
    createdAt: new Date(T),
    updatedAt: new Date(T),
  };
}

describe('EndpointGate: what it does not admit is written back due later (real MongoDB)', () => {
  let connection: Connection;
  let config: NotifierConfig;
  let clock: FakeClock;
  let deliveries: DeliveryRepository;
  let rateLimits: RateLimitRepository;
  let apps: AppRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_endpoint_gate'));
    config = loadConfig(notifierConfigSchema, {
      CIRCUIT_BREAKER_COOLDOWN: `${COOLDOWN_MS}ms`,
      QUOTA_EMAILS_PER_HOUR: '1',
    });
    deliveries = new DeliveryRepository(connection.model<DeliveryEntity>('Delivery'));
    rateLimits = new RateLimitRepository(connection.model<RateWindow>('RateWindow'));
    apps = new AppRepository(connection.model<AppEntity>('App'));
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(async () => {
    clock = new FakeClock(T);
    for (const name of ['deliveries', 'endpoints', 'rate_windows']) {
      await connection.collection(name).deleteMany({});
    }
  });

  /** One notifier's gate, with slots of its own. */
  function gate(): { gate: EndpointGate; slots: SlotAccountant } {
    const slots = new SlotAccountant(config);
    const built = new EndpointGate(
      deliveries,
      new Postponements(deliveries),
      new EndpointCircuitRepository(connection.model<EndpointEntity>('Endpoint')),
      rateLimits,
      clock,
      config,
      new ChannelQuota(new AppQuotaReader(apps, config.quotas), rateLimits),
      slots,
    );
    return { gate: built, slots };
  }

  async function store(
    endpoints: readonly EndpointEntity[],
    batch: readonly DeliveryEntity[],
  ): Promise<Map<string, EndpointEntity>> {
    if (endpoints.length > 0)
      await connection.collection('endpoints').insertMany([...endpoints] as never[]);
    await connection.collection('deliveries').insertMany(batch.map((d) => ({ ...d })) as never[]);
    return new Map(endpoints.map((e) => [e._id, e]));
  }

  const stored = async (id: string) =>
    (await connection
      .collection('deliveries')
      .findOne({ _id: id as never })) as unknown as DeliveryEntity;

  it('postpones everything of an open circuit to the end of its cool-down, fenced on the claim', async () => {
    const until = new Date(T + COOLDOWN_MS);
    const open = endpoint('ep_open', { circuitOpenUntil: until, circuitOpenings: 1 });
    const batch = [claimed('d1', 'ep_open'), claimed('d2', 'ep_open'), claimed('d3', 'ep_open')];
    const endpoints = await store([open], batch);
    // d3's lease ran out meanwhile and another notifier claimed it: not this claim's to write.
    await connection
      .collection('deliveries')
      .updateOne(
        { _id: 'd3' as never },
        { $set: { claimToken: 'claim_other', readyClaim: 'claim_other' } },
      );
    const { gate: g, slots } = gate();

    expect(await g.admit(batch, endpoints, 'claim_1')).toEqual([]);

    // Due again within the cool-down's spread after it ends (a tenth of it, at least 1 s).
    for (const id of ['d1', 'd2']) {
      const d = await stored(id);
      expect(d).toMatchObject({
        claimToken: null,
        readyClaim: null,
        attemptCount: 2,
        status: 'pending',
      });
      expect(d.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(until.getTime());
      expect(d.nextAttemptAt!.getTime()).toBeLessThan(until.getTime() + 3_000);
    }
    expect(await stored('d3')).toMatchObject({
      claimToken: 'claim_other',
      nextAttemptAt: LEASE_UNTIL,
    });
    // Nothing runs, and the endpoint takes nothing here until the cool-down is over.
    expect(slots.runningAt('ep_open')).toBe(0);
    expect(g.roomFor('ep_open')).toBe(0);
    expect(g.unavailableEndpoints()).toEqual(['ep_open']);
    clock.ms = until.getTime();
    expect(g.roomFor('ep_open')).toBeGreaterThan(0);
    expect(g.unavailableEndpoints()).toEqual([]);
  });

  it('lets exactly one notifier probe once the cool-down is over; the rest wait for its verdict', async () => {
    const halfOpen = endpoint('ep_half', { circuitOpenUntil: new Date(T - 1), circuitOpenings: 1 });
    const first = [claimed('p1', 'ep_half'), claimed('p2', 'ep_half')];
    const second = [claimed('q1', 'ep_half', 'claim_2')];
    // Not claimed by anyone: due now, it too waits for the probe.
    const idle = {
      ...claimed('idle', 'ep_half'),
      claimToken: null,
      readyClaim: null,
      nextAttemptAt: new Date(T - 5),
    };
    const endpoints = await store([halfOpen], [...first, ...second, idle]);

    const [admittedHere, admittedThere] = await Promise.all([
      gate().gate.admit(first, endpoints, 'claim_1'),
      gate().gate.admit(second, endpoints, 'claim_2'),
    ]);

    const probes = [...admittedHere, ...admittedThere];
    expect(probes).toHaveLength(1);
    const endpointNow = await connection
      .collection('endpoints')
      .findOne({ _id: 'ep_half' as never });
    expect(endpointNow).toMatchObject({ circuitProbing: true });
    expect(endpointNow!.circuitOpenUntil.getTime()).toBeGreaterThan(T);
    for (const d of [...first, ...second, idle].filter((d) => d._id !== probes[0]!._id)) {
      const after = await stored(d._id);
      expect(after.claimToken).toBeNull();
      expect(after.nextAttemptAt!.getTime()).toBeGreaterThan(T);
    }
    // The probe keeps its claim and lease.
    expect(await stored(probes[0]!._id)).toMatchObject({ nextAttemptAt: LEASE_UNTIL });
  });

  it('admits rateLimitPerSecond per second across notifiers and postpones the excess into the next seconds', async () => {
    const limited = endpoint('ep_rate', { rateLimitPerSecond: 1 });
    const here = [claimed('r1', 'ep_rate'), claimed('r2', 'ep_rate')];
    const there = [claimed('r3', 'ep_rate', 'claim_2')];
    const endpoints = await store([limited], [...here, ...there]);
    const a = gate();
    const b = gate();

    expect((await a.gate.admit(here, endpoints, 'claim_1')).map((d) => d._id)).toEqual(['r1']);
    // Another notifier, the same second: the limit is spent for everyone.
    expect(await b.gate.admit(there, endpoints, 'claim_2')).toEqual([]);

    const nextSecond = Math.floor(T / 1_000) * 1_000 + 1_000;
    for (const id of ['r2', 'r3']) {
      const d = await stored(id);
      expect(d).toMatchObject({ claimToken: null, attemptCount: 2 });
      expect(d.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(nextSecond);
      expect(d.nextAttemptAt!.getTime()).toBeLessThan(nextSecond + 1_000);
    }
    expect(await stored('r1')).toMatchObject({ claimToken: 'claim_1', nextAttemptAt: LEASE_UNTIL });
    // Only the admitted one counts as running; the endpoint is blocked here until the next second.
    expect(a.slots.runningAt('ep_rate')).toBe(1);
    expect(b.slots.runningAt('ep_rate')).toBe(0);
    expect(b.gate.roomFor('ep_rate')).toBe(0);
    clock.ms = nextSecond;
    expect(b.gate.roomFor('ep_rate')).toBeGreaterThan(0);
  });

  it('postpones what is over the endpoint’s limit in flight, due a second later', async () => {
    const busy = endpoint('ep_busy');
    const batch = ['b1', 'b2', 'b3'].map((id) => claimed(id, 'ep_busy'));
    const endpoints = await store([busy], batch);
    const { gate: g, slots } = gate();

    const admitted = await g.admit(batch, endpoints, 'claim_1');

    expect(admitted.map((d) => d._id)).toEqual(['b1', 'b2']);
    expect(slots.runningAt('ep_busy')).toBe(2);
    expect(await stored('b3')).toMatchObject({
      claimToken: null,
      nextAttemptAt: new Date(T + 1_000),
    });
  });

  it('postpones emails over the app’s emailsPerHour to the next hour', async () => {
    const mail = endpoint('ep_mail', { channel: 'email', url: undefined, to: 'ops@shop.test' });
    const batch = [claimed('m1', 'ep_mail'), claimed('m2', 'ep_mail')].map((d) => ({
      ...d,
      channel: 'email' as const,
    }));
    const endpoints = await store([mail], batch);
    const { gate: g, slots } = gate();

    expect((await g.admit(batch, endpoints, 'claim_1')).map((d) => d._id)).toEqual(['m1']);

    const nextHour = (Math.floor(T / 3_600_000) + 1) * 3_600_000;
    const d = await stored('m2');
    expect(d.claimToken).toBeNull();
    expect(d.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(nextHour);
    expect(slots.runningAt('ep_mail')).toBe(1);
  });

  it('admits a delivery whose endpoint is gone or disabled, for the dispatcher to settle', async () => {
    const disabled = endpoint('ep_disabled', {
      enabled: false,
      circuitOpenUntil: new Date(T + COOLDOWN_MS),
    });
    const batch = [claimed('g1', 'ep_gone'), claimed('g2', 'ep_disabled')];
    const endpoints = await store([disabled], batch);

    const admitted = await gate().gate.admit(batch, endpoints, 'claim_1');

    expect(admitted.map((d) => d._id).sort()).toEqual(['g1', 'g2']);
    expect(await stored('g1')).toMatchObject({ claimToken: 'claim_1' });
  });

  it('once closed (shutdown) gives everything back due now, attempt counts unchanged', async () => {
    const until = new Date(T + COOLDOWN_MS);
    const batch = [claimed('s1', 'ep_ok'), claimed('s2', 'ep_open'), claimed('s3', 'ep_ok')];
    // s3 was marked by an earlier claim whose attempt may have started: that mark stays (ADR 0010).
    batch[2] = { ...batch[2]!, readyClaim: 'claim_0' };
    const endpoints = await store(
      [endpoint('ep_ok'), endpoint('ep_open', { circuitOpenUntil: until })],
      batch,
    );
    const { gate: g, slots } = gate();
    g.close();

    expect(await g.admit(batch, endpoints, 'claim_1')).toEqual([]);

    for (const id of ['s1', 's2', 's3']) {
      expect(await stored(id)).toMatchObject({
        claimToken: null,
        nextAttemptAt: new Date(T),
        attemptCount: 2,
        status: 'pending',
      });
    }
    expect((await stored('s1')).readyClaim).toBeNull();
    expect((await stored('s3')).readyClaim).toBe('claim_0');
    expect(slots.runningAt('ep_ok')).toBe(0);
  });
});

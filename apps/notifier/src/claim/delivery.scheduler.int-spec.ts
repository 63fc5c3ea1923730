import { SchedulerRegistry } from '@nestjs/schedule';
import type { Connection } from 'mongoose';
import { Clock } from '@app/common';
import { loadConfig, notifierConfigSchema, type NotifierConfig } from '@app/config';
import { DeliveryClaimRepository, openConnection, type DeliveryEntity } from '@app/dal';
import { eventually } from '../../../../test/support/eventually';
import { testDatabaseUri } from '../../../../test/support/test-database';
import type { DeliveryDispatcher } from '../attempt/delivery-dispatcher';
import type { Preloaded } from '../attempt/look-up';
import { SlotsFreed, type SlotsFreedListener } from '../attempt/slots-freed';
import { SlotAccountant } from '../isolation/slot-accountant';
import { DeliveryScheduler } from './delivery.scheduler';
import type { KeyHandOff } from '../record-outcomes/key-hand-off';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
/** The scheduler's clock stands here: everything due before is claimable. */
const NOW = at(60_000);
const LEASE_MS = 90_000;

class FixedClock extends Clock {
  now(): Date {
    return NOW;
  }
}

function due(id: string, appId: string, endpointId: string, dueMs: number): DeliveryEntity {
  return {
    _id: id,
    appId,
    messageId: `msg_${id}`,
    endpointId,
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: at(dueMs),
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: null,
    createdAt: T0,
    updatedAt: T0,
  };
}

/** `count` due deliveries of one app, oldest first, two per endpoint (an endpoint's first limit). */
function flood(appId: string, count: number, firstDueMs = 0): DeliveryEntity[] {
  return Array.from({ length: count }, (_, i) =>
    due(`${appId}_${i}`, appId, `ep_${appId}_${Math.floor(i / 2)}`, firstDueMs + i),
  );
}

/**
 * The dispatcher as the scheduler sees it: slots counted by a real SlotAccountant (and given back
 * through the real SlotsFreed, which tells the scheduler), claims recorded, attempts never run.
 */
class RecordingDispatcher {
  readonly dispatched: { claimToken: string; ids: string[] }[] = [];
  private readonly slotsFreed: SlotsFreed;
  private readonly handedOn: DeliveryEntity[] = [];
  /** Runs inside each dispatch, that is while the scheduler's claim is still under way. */
  whileDispatching: () => Promise<void> = () => Promise.resolve();

  constructor(readonly slots: SlotAccountant) {
    this.slotsFreed = new SlotsFreed(slots);
  }

  get freeSlots(): number {
    return this.slots.free;
  }

  tryTake(appId: string, endpointId: string): boolean {
    return this.slots.tryTake(appId, endpointId);
  }

  giveBack(appId: string, endpointId: string): void {
    this.slotsFreed.giveBack([{ appId, endpointId }]);
  }

  roomFor(endpointId: string): number {
    return this.slots.roomForEndpoint(endpointId);
  }

  unavailableEndpoints(): string[] {
    return this.slots.heldEndpoints().filter((id) => this.roomFor(id) === 0);
  }

  onSlotsFreed(listener: SlotsFreedListener): void {
    this.slotsFreed.listen(listener);
  }

  lookUp(): Promise<Preloaded> {
    return Promise.resolve({ endpoints: new Map(), messages: new Map() });
  }

  async dispatch(deliveries: readonly DeliveryEntity[], claimToken: string): Promise<void> {
    if (deliveries.length === 0) return;
    this.dispatched.push({ claimToken, ids: deliveries.map((d) => d._id) });
    this.handedOn.push(...deliveries);
    await this.whileDispatching();
  }

  get ids(): string[] {
    return this.dispatched.flatMap((claim) => claim.ids);
  }

  /** Handed on and not finished. */
  get holding(): number {
    return this.handedOn.length;
  }

  /** Slots may be free again (another endpoint's attempt ended, outcomes were written). */
  tell(endpointId?: string): void {
    this.slotsFreed.tell(endpointId);
  }

  /** The attempt of one delivery handed on ended: its slot goes back, the scheduler is told. */
  finish(id: string): void {
    const index = this.handedOn.findIndex((d) => d._id === id);
    const [delivery] = this.handedOn.splice(index, 1);
    this.slotsFreed.giveBack([delivery!], delivery!.endpointId);
  }

  finishAll(): void {
    for (const delivery of [...this.handedOn]) this.finish(delivery._id);
  }
}

describe('DeliveryScheduler: claims due deliveries fairly and hands them on (real MongoDB)', () => {
  let connection: Connection;
  let deliveries: DeliveryClaimRepository;
  const started: DeliveryScheduler[] = [];

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_scheduler'));
    deliveries = new DeliveryClaimRepository(connection.model<DeliveryEntity>('Delivery'));
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(async () => {
    await connection.collection('deliveries').deleteMany({});
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((scheduler) => scheduler.stop()));
  });

  /**
   * One notifier's scheduler; its interval is an hour away, so only the test makes it claim.
   * `listening`: it hears freed slots (and may claim on its own then), as in the notifier.
   */
  function scheduler(deliveryConcurrency: number, listening = true) {
    const config: NotifierConfig = loadConfig(notifierConfigSchema, {
      DELIVERY_CONCURRENCY: String(deliveryConcurrency),
      SCHEDULER_INTERVAL: '1h',
      LEASE_DURATION: `${LEASE_MS}ms`,
    });
    const slots = new SlotAccountant(config);
    const dispatcher = new RecordingDispatcher(slots);
    const built = new DeliveryScheduler(
      new SchedulerRegistry(),
      deliveries,
      dispatcher as unknown as DeliveryDispatcher,
      slots,
      new FixedClock(),
      config,
      { onHandedOn: () => undefined } as unknown as KeyHandOff,
    );
    if (listening) built.onApplicationBootstrap();
    started.push(built);
    return { scheduler: built, dispatcher, slots };
  }

  const insert = (docs: readonly DeliveryEntity[]) =>
    connection.collection('deliveries').insertMany(docs.map((d) => ({ ...d })) as never[]);
  const stored = (filter: object) =>
    connection
      .collection('deliveries')
      .find(filter)
      .sort({ _id: 1 })
      .toArray() as unknown as Promise<DeliveryEntity[]>;
  const dueCount = (appId: string) =>
    connection
      .collection('deliveries')
      .countDocuments({ appId, claimToken: null, nextAttemptAt: { $lte: NOW } });

  it('claims what is due, expired leases included, under one lease and token, and hands exactly that on', async () => {
    await insert([
      due('a', 'app_1', 'ep_1', 100),
      due('b', 'app_1', 'ep_2', 200),
      due('not_yet', 'app_1', 'ep_3', 120_000),
      // Another notifier holds this one: its lease runs until after now.
      { ...due('held', 'app_1', 'ep_4', 0), claimToken: 'other', nextAttemptAt: at(80_000) },
      // A notifier died holding this one: its lease ended, so it is due again.
      { ...due('orphan', 'app_1', 'ep_5', 0), claimToken: 'dead', nextAttemptAt: at(30_000) },
      { ...due('done', 'app_1', 'ep_6', 0), status: 'succeeded', nextAttemptAt: null },
    ]);
    const { scheduler: s, dispatcher, slots } = scheduler(20);

    await s.tick();

    expect(dispatcher.dispatched).toHaveLength(1);
    const [{ claimToken, ids }] = dispatcher.dispatched as [{ claimToken: string; ids: string[] }];
    expect(ids.sort()).toEqual(['a', 'b', 'orphan']);
    const claimed = await stored({ claimToken });
    expect(claimed.map((d) => d._id).sort()).toEqual(['a', 'b', 'orphan']);
    for (const d of claimed) {
      expect(d.nextAttemptAt).toEqual(new Date(NOW.getTime() + LEASE_MS));
      expect(d.attemptCount).toBe(0);
    }
    expect(await stored({ _id: { $in: ['held', 'not_yet'] } })).toEqual([
      expect.objectContaining({ _id: 'held', claimToken: 'other', nextAttemptAt: at(80_000) }),
      expect.objectContaining({ _id: 'not_yet', claimToken: null, nextAttemptAt: at(120_000) }),
    ]);
    // Each one handed on holds a slot until the dispatcher is done with it.
    expect(slots.total).toBe(3);
    await s.tick();
    expect(dispatcher.dispatched).toHaveLength(1);
  });

  it('claims again at once for a kick that came while it was claiming (an ordered key handed on)', async () => {
    await insert([due('a', 'app_1', 'ep_1', 0)]);
    const { scheduler: s, dispatcher } = scheduler(20);
    dispatcher.whileDispatching = async () => {
      dispatcher.whileDispatching = () => Promise.resolve();
      // Made due by another writer (a key handed on) while this claim runs, and kicked.
      await insert([due('b', 'app_1', 'ep_2', 0)]);
      s.kick();
    };

    await s.tick();

    expect(dispatcher.dispatched.map((claim) => claim.ids)).toEqual([['a'], ['b']]);
  });

  it('stops claiming, and resolves stop() once the claim under way has handed on what it claimed', async () => {
    // At shutdown the notifier's gate gives such deliveries back, due now; were the connection
    // closed before, they would wait out a lease held by a notifier that is gone.
    await insert([due('a', 'app_1', 'ep_1', 0), due('b', 'app_1', 'ep_2', 0)]);
    const { scheduler: s, dispatcher } = scheduler(20);
    let release = () => undefined as void;
    let handedOn = false;
    dispatcher.whileDispatching = async () => {
      await new Promise<void>((resolve) => (release = resolve));
      handedOn = true;
    };
    const ticking = s.tick();
    await eventually(() => (dispatcher.dispatched.length === 1 ? true : undefined), {
      what: 'the claim to reach its dispatch',
    });

    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(handedOn).toBe(true);
    await ticking;

    await insert([due('c', 'app_1', 'ep_3', 0)]);
    await s.tick();
    expect(dispatcher.ids).toEqual(['a', 'b']);
  });

  it('does not let one app with many due deliveries crowd out another; the reserve serves a newcomer', async () => {
    // app_a's hundred are all older than app_b's three.
    await insert([...flood('app_a', 100), ...flood('app_b', 3, 10_000)]);
    const { scheduler: s, dispatcher, slots } = scheduler(20);

    await s.tick();

    const first = dispatcher.ids;
    expect(first.filter((id) => id.startsWith('app_b'))).toHaveLength(3);
    expect(first.filter((id) => id.startsWith('app_a')).length).toBeGreaterThan(0);
    // Two slots (the reserve) stay free, and app_a is known to wait: it caps app_b's share.
    expect(slots.free).toBe(slots.reserve);
    expect(slots.waitingApps()).toEqual(['app_a']);

    // app_c's first delivery arrives while app_a still has dozens due: the reserve takes it.
    await insert([due('app_c_0', 'app_c', 'ep_c', 50_000)]);
    const waitingOfA = await dueCount('app_a');
    await s.tick(1);

    expect(dispatcher.ids.slice(first.length)).toEqual(['app_c_0']);
    expect(await dueCount('app_a')).toBe(waitingOfA);
  });

  it('never gives one delivery to two schedulers racing on the same database, and leaks no slot', async () => {
    await insert([...flood('app_a', 120), ...flood('app_b', 120), ...flood('app_c', 60)]);
    // Deaf to freed slots: each round is the two claims the test starts at once.
    const one = scheduler(50, false);
    const two = scheduler(50, false);

    for (let round = 0; round < 20; round++) {
      const before = one.dispatcher.ids.length + two.dispatcher.ids.length;
      await Promise.all([one.scheduler.tick(1), two.scheduler.tick(1)]);
      // Whatever a scheduler picked and lost to the other went back: it holds what it handed on.
      for (const { dispatcher, slots } of [one, two]) {
        expect(slots.total).toBe(dispatcher.holding);
        dispatcher.finishAll();
      }
      if (one.dispatcher.ids.length + two.dispatcher.ids.length === before) break;
    }

    const all = [...one.dispatcher.ids, ...two.dispatcher.ids];
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    // Each is stored under the claim token of the scheduler that handed it on.
    for (const { dispatcher } of [one, two]) {
      for (const { claimToken, ids } of dispatcher.dispatched) {
        const byToken = await stored({ claimToken });
        expect(byToken.map((d) => d._id).sort()).toEqual([...ids].sort());
      }
    }
  });

  it('claims again for an endpoint it left deliveries of as soon as half of what that endpoint may hold is free', async () => {
    // Five due to one endpoint, which may hold two here (its first limit, pace unknown).
    await insert(Array.from({ length: 5 }, (_, i) => due(`slow_${i}`, 'app_1', 'ep_slow', i)));
    const { scheduler: s, dispatcher } = scheduler(20);
    await s.tick();
    expect(dispatcher.ids).toEqual(['slow_0', 'slow_1']);
    const ticks = jest.spyOn(s, 'tick');

    // Slots free elsewhere, and no backlog: no claim.
    dispatcher.tell('ep_elsewhere');
    dispatcher.tell();
    expect(ticks).not.toHaveBeenCalled();

    dispatcher.finish('slow_0');
    expect(ticks).toHaveBeenCalledTimes(1);
    await ticks.mock.results[0]!.value;
    expect(dispatcher.ids).toEqual(['slow_0', 'slow_1', 'slow_2']);
    expect(await dueCount('app_1')).toBe(2);
  });

  it('while a backlog lasts, claims again once a quarter of the slots are free, not before', async () => {
    // Twelve slots: claims wait for three free (a quarter); one is the reserve.
    await insert(flood('app_1', 40));
    const { scheduler: s, dispatcher, slots } = scheduler(12);
    await s.tick();
    expect(dispatcher.ids).toHaveLength(11);
    expect(slots.free).toBe(1);
    const ticks = jest.spyOn(s, 'tick');

    dispatcher.finish('app_1_0');
    expect(slots.free).toBe(2);
    expect(ticks).not.toHaveBeenCalled();

    dispatcher.finish('app_1_1');
    expect(ticks).toHaveBeenCalledTimes(1);
    await ticks.mock.results[0]!.value;
    // Three free, one of them the reserve: two more of the backlog, oldest first.
    expect(dispatcher.ids.slice(11)).toEqual(['app_1_11', 'app_1_12']);
    expect(await dueCount('app_1')).toBe(40 - 13);
  });
});

import type { Connection, Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { MessageEntity } from '../messages/message.entity';
import { MessageRepository } from '../messages/message.repository';
import type { DeliveryEntity } from './delivery.entity';
import { DeliveryClaimRepository } from './delivery-claim.repository';
import { DeliveryRepository, type DeliveryUpdate } from './delivery.repository';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function delivery(id: string, dueMs: number, messageId = `msg_${id}`): DeliveryEntity {
  return {
    _id: id,
    appId: 'app_1',
    messageId,
    endpointId: `ep_${id}`,
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

function succeeded(ms: number): DeliveryUpdate {
  return {
    status: 'succeeded',
    attemptCount: 1,
    nextAttemptAt: null,
    lastAttemptAt: at(ms),
    lastError: null,
    deliveredAt: at(ms + 5),
    updatedAt: at(ms + 5),
  };
}

describe('claiming and settling deliveries in batches (real MongoDB)', () => {
  let connection: Connection;
  let deliveries: Model<DeliveryEntity>;
  let messages: Model<MessageEntity>;
  let repository: DeliveryRepository;
  let claims: DeliveryClaimRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_claims'));
    deliveries = connection.model<DeliveryEntity>('Delivery');
    messages = connection.model<MessageEntity>('Message');
    repository = new DeliveryRepository(deliveries);
    claims = new DeliveryClaimRepository(deliveries);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(async () => {
    await deliveries.deleteMany({});
    await messages.deleteMany({});
  });

  const claim = (claimToken: string, limit = 10) =>
    claims.claimDue({ now: at(1_000), limit, claimToken, leaseUntil: at(90_000) });

  it('claims the due deliveries oldest first, as they are stored once claimed', async () => {
    await deliveries.insertMany([delivery('b', 200), delivery('a', 100), delivery('later', 5_000)]);
    const claimed = await claim('t1');
    expect(claimed.map((d) => d._id)).toEqual(['a', 'b']);
    const stored = await deliveries.find({ claimToken: 't1' }).sort({ _id: 1 }).lean();
    expect(stored).toEqual([...claimed].sort((x, y) => x._id.localeCompare(y._id)));
    expect(stored.every((d) => d.nextAttemptAt?.getTime() === at(90_000).getTime())).toBe(true);
    expect(await claim('t2')).toEqual([]);
  });

  it('counts the due backlog of every app, and nothing not due or not pending', async () => {
    await deliveries.insertMany([
      delivery('a1', 100),
      { ...delivery('b1', 900), appId: 'app_2' },
      { ...delivery('b2', 5_000), appId: 'app_2' },
      { ...delivery('c1', 300), appId: 'app_3' },
      { ...delivery('c2', 200), appId: 'app_3', status: 'succeeded' },
    ]);
    expect(await repository.countDue(at(1_000))).toBe(3);
    expect(await repository.countDue(at(5_000))).toBe(4);
  });

  it('gives each delivery to one of two workers claiming at once', async () => {
    await deliveries.insertMany(Array.from({ length: 50 }, (_, i) => delivery(`d${i}`, i)));
    const [first, second] = await Promise.all([claim('w1', 50), claim('w2', 50)]);
    const ids = [...first, ...second].map((d) => d._id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(50);
    for (const [token, claimed] of [
      ['w1', first],
      ['w2', second],
    ] as const) {
      expect(await deliveries.countDocuments({ claimToken: token })).toBe(claimed.length);
    }
  });

  it("reads another app's due delivery in the same claim, behind thousands of one app's", async () => {
    const flood = Array.from({ length: 3_000 }, (_, i) => delivery(`a${i}`, i % 900));
    await deliveries.insertMany(flood);
    await deliveries.insertMany([{ ...delivery('b1', 950), appId: 'app_2' }]);
    const stats = { candidates: 0, apps: [] as string[], appsWithMore: [] as string[] };
    const claimed = await claims.claimDue({
      now: at(1_000),
      limit: 20,
      claimToken: 't1',
      leaseUntil: at(90_000),
      roomForApp: (appId) => (appId === 'app_1' ? 10 : 5),
      stats,
    });
    // Apps in turn: app_2's only due delivery comes second, after app_1's oldest.
    expect(claimed.map((d) => d._id).slice(0, 3)).toEqual(['a0', 'b1', 'a900']);
    expect(claimed.filter((d) => d.appId === 'app_1')).toHaveLength(10);
    expect(stats).toEqual({ candidates: 11, apps: ['app_1', 'app_2'], appsWithMore: ['app_1'] });

    // An app without room is not read at all; the pick decides what is claimed of the rest.
    await deliveries.insertMany([{ ...delivery('b2', 960), appId: 'app_2' }]);
    const nextStats = { candidates: 0, apps: [] as string[], appsWithMore: [] as string[] };
    const next = await claims.claimDue({
      now: at(1_000),
      limit: 20,
      claimToken: 't2',
      leaseUntil: at(90_000),
      excludeAppIds: ['app_1'],
      pick: (candidates) => candidates.filter((d) => d._id === 'b2'),
      stats: nextStats,
    });
    expect(next.map((d) => d._id)).toEqual(['b2']);
    expect(nextStats.apps).toEqual(['app_2']);

    // The same in one read, for a small claim beside a large one.
    await deliveries.insertMany([{ ...delivery('b3', 970), appId: 'app_2' }]);
    const inOne = await claims.claimDue({
      now: at(1_000),
      limit: 5,
      claimToken: 't3',
      leaseUntil: at(90_000),
      excludeAppIds: ['app_1'],
      oneRead: true,
    });
    expect(inOne.map((d) => d._id)).toEqual(['b3']);
  });

  it('visits apps in turn from where the last claim stopped, wrapping around', async () => {
    await deliveries.insertMany(
      ['app_a', 'app_b', 'app_c'].map((appId) => ({ ...delivery(appId, 0), appId })),
    );
    const stats = { candidates: 0, apps: [] as string[], appsWithMore: [] as string[] };
    await claims.claimDue({
      now: at(1_000),
      limit: 10,
      claimToken: 't1',
      leaseUntil: at(90_000),
      startAfterApp: 'app_b',
      pick: () => [],
      stats,
    });
    expect(stats.apps).toEqual(['app_c', 'app_a', 'app_b']);
  });

  it('writes each outcome of a batch to its own delivery, fenced on the claim', async () => {
    await deliveries.insertMany([delivery('a', 0), delivery('b', 0), delivery('c', 0)]);
    await claim('t1');
    await deliveries.updateOne({ _id: 'c' }, { $set: { claimToken: 'someone-else' } });
    await repository.recordOutcomes([
      { deliveryId: 'a', claimToken: 't1', update: succeeded(10) },
      { deliveryId: 'b', claimToken: 't1', update: { ...succeeded(20), attemptCount: 2 } },
      { deliveryId: 'c', claimToken: 't1', update: succeeded(30) },
    ]);
    const byId = new Map((await deliveries.find().lean()).map((d) => [d._id, d]));
    expect(byId.get('a')).toMatchObject({ ...succeeded(10), claimToken: null });
    expect(byId.get('b')).toMatchObject({ ...succeeded(20), attemptCount: 2, claimToken: null });
    // Another worker holds c: this one's outcome must not land.
    expect(byId.get('c')).toMatchObject({ status: 'pending', claimToken: 'someone-else' });
  });

  it('fences each outcome of a batch on its own claim when the batch holds several', async () => {
    await deliveries.insertMany(['a', 'b', 'c', 'd'].map((id) => delivery(id, 0)));
    await deliveries.updateMany({ _id: { $in: ['a', 'b'] } }, { $set: { claimToken: 't1' } });
    await deliveries.updateMany({ _id: { $in: ['c', 'd'] } }, { $set: { claimToken: 't2' } });
    await repository.recordOutcomes([
      { deliveryId: 'a', claimToken: 't1', update: succeeded(10) },
      // c's claim is t2: this outcome of an earlier claim of it must not land...
      { deliveryId: 'c', claimToken: 't1', update: { ...succeeded(20), attemptCount: 7 } },
      { deliveryId: 'b', claimToken: 't2', update: succeeded(30) },
      // ...and this one, of the claim it holds, in the same batch, must.
      { deliveryId: 'c', claimToken: 't2', update: succeeded(40) },
      { deliveryId: 'd', claimToken: 't2', update: { ...succeeded(50), attemptCount: 2 } },
    ]);
    const byId = new Map((await deliveries.find().lean()).map((d) => [d._id, d]));
    expect(byId.get('a')).toMatchObject({ ...succeeded(10), claimToken: null });
    expect(byId.get('b')).toMatchObject({ status: 'pending', claimToken: 't1' });
    expect(byId.get('c')).toMatchObject({ ...succeeded(40), claimToken: null });
    expect(byId.get('d')).toMatchObject({ ...succeeded(50), attemptCount: 2, claimToken: null });
  });

  it('derives each message status from its deliveries in one round trip', async () => {
    const message = (id: string): MessageEntity => ({
      _id: id,
      appId: 'app_1',
      eventType: 'order.paid',
      payload: {},
      targetEndpointIds: [],
      status: 'pending',
      createdAt: T0,
    });
    await messages.insertMany(['m1', 'm2', 'm3', 'm4'].map(message));
    await deliveries.insertMany([
      { ...delivery('a', 0, 'm1'), status: 'succeeded' },
      { ...delivery('b', 0, 'm1'), status: 'cancelled' },
      { ...delivery('c', 0, 'm2'), status: 'succeeded' },
      { ...delivery('d', 0, 'm2'), status: 'failed' },
      { ...delivery('e', 0, 'm3'), status: 'failed' },
      { ...delivery('f', 0, 'm3'), status: 'pending' },
    ]);
    const repository = new MessageRepository(messages, deliveries);
    const statuses = async () =>
      Object.fromEntries((await messages.find().lean()).map((m) => [m._id, m.status]));
    // Another app's refresh does not reach them.
    await repository.refreshStatus('app_2', ['m1', 'm2', 'm3', 'm4']);
    expect(await statuses()).toEqual({
      m1: 'pending',
      m2: 'pending',
      m3: 'pending',
      m4: 'pending',
    });
    await repository.refreshStatus('app_1', ['m1', 'm2', 'm3', 'm4']);
    // m4 has no delivery (yet): it keeps its status.
    expect(await statuses()).toEqual({
      m1: 'delivered',
      m2: 'failed',
      m3: 'pending',
      m4: 'pending',
    });
    // A look-up by id finds each message only for its own app.
    const found = await repository.findByIds([
      { appId: 'app_1', id: 'm1' },
      { appId: 'app_2', id: 'm2' },
      { appId: 'app_1', id: 'm3' },
    ]);
    expect(found.map((m) => m._id).sort()).toEqual(['m1', 'm3']);
  });
});

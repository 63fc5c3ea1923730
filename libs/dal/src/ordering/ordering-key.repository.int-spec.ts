import type { Connection, Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { DeliveryRedeliveryRepository } from '../deliveries/delivery-redelivery.repository';
import { DeliveryRepository, type DeliveryUpdate } from '../deliveries/delivery.repository';
import { newDelivery } from '../deliveries/new-delivery';
import type { OrderingKeyEntity } from './ordering-key.entity';
import { OrderingKeyRepository, type EndedOrderedDelivery } from './ordering-key.repository';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const ENDPOINT = { _id: 'ep_1', channel: 'webhook' as const };
const REF = { appId: 'app_1', endpointId: 'ep_1', key: 'order-1' };

describe('OrderingKeyRepository (real MongoDB)', () => {
  let connection: Connection;
  let deliveryModel: Model<DeliveryEntity>;
  let keys: OrderingKeyRepository;
  let deliveries: DeliveryRepository;
  let redeliveries: DeliveryRedeliveryRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_ordering'));
    deliveryModel = connection.model<DeliveryEntity>('Delivery');
    keys = new OrderingKeyRepository(
      connection.model<OrderingKeyEntity>('OrderingKey'),
      deliveryModel,
    );
    deliveries = new DeliveryRepository(deliveryModel);
    redeliveries = new DeliveryRedeliveryRepository(deliveryModel);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(async () => {
    await deliveryModel.deleteMany({});
    await connection.collection('ordering_keys').deleteMany({});
  });

  /** `count` messages of the key, numbered and stored held, as intake does. */
  async function storeHeld(count: number, key = REF.key): Promise<DeliveryEntity[]> {
    const first = await keys.number({ ...REF, key }, count, T0);
    const held = Array.from({ length: count }, (_, i) =>
      newDelivery(
        {
          appId: REF.appId,
          messageId: `msg_${key}_${first + i}`,
          endpoint: ENDPOINT,
          ordering: { key, sequence: first + i },
        },
        T0,
      ),
    );
    await deliveries.insertMany(held);
    return held;
  }

  const statuses = async () =>
    Object.fromEntries(
      (await deliveryModel.find({}).sort({ 'ordering.sequence': 1 }).lean()).map((d) => [
        d.ordering!.sequence,
        d.status,
      ]),
    );
  const keyState = () => connection.collection<OrderingKeyEntity>('ordering_keys').findOne({});

  /** The outcome writer's write of these deliveries' ends (not the hand-off that follows it). */
  async function writeEnds(
    ended: readonly DeliveryEntity[],
    status: DeliveryUpdate['status'],
    when: Date,
  ): Promise<void> {
    const ids = ended.map((delivery) => delivery._id);
    await deliveryModel.updateMany({ _id: { $in: ids } }, { $set: { claimToken: 'c' } });
    await deliveries.recordOutcomes(
      ids.map((deliveryId) => ({
        deliveryId,
        claimToken: 'c',
        ordered: true,
        update: {
          status,
          attemptCount: 1,
          nextAttemptAt: null,
          lastAttemptAt: when,
          lastError: status === 'failed' ? 'HTTP 500' : null,
          deliveredAt: status === 'succeeded' ? when : null,
          updatedAt: when,
        },
      })),
    );
  }

  /** What the outcome writer does when an attempt ends the delivery. */
  async function end(
    delivery: DeliveryEntity,
    status: DeliveryUpdate['status'],
    blockWith?: string,
  ): Promise<string[]> {
    await writeEnds([delivery], status, at(10));
    return keys.ended([endedOf(delivery, blockWith)], at(10));
  }

  it('numbers a key from 1 on, per endpoint and key', async () => {
    expect(await keys.number(REF, 3, T0)).toBe(1);
    expect(await keys.number(REF, 2, T0)).toBe(4);
    expect(await keys.number({ ...REF, key: 'order-2' }, 1, T0)).toBe(1);
    expect(await keys.number({ ...REF, endpointId: 'ep_2' }, 1, T0)).toBe(1);
    expect((await keyState())?.lastSequence).toBe(5);
  });

  it('hands a key on to its lowest held delivery, one at a time', async () => {
    const [first, second] = await storeHeld(3);
    expect(await statuses()).toEqual({ 1: 'held', 2: 'held', 3: 'held' });

    expect(await keys.handOn(REF.endpointId, REF.key, T0)).toBe(first!._id);
    // Already taken: a second hand-on (intake's next batch, the repair) changes nothing.
    expect(await keys.handOn(REF.endpointId, REF.key, T0)).toBeUndefined();
    expect(await statuses()).toEqual({ 1: 'pending', 2: 'held', 3: 'held' });
    expect(await keyState()).toMatchObject({ active: first!._id, checkSince: null });

    expect(await end(first!, 'succeeded')).toEqual([second!._id]);
    expect(await statuses()).toEqual({ 1: 'succeeded', 2: 'pending', 3: 'held' });
    // Due at once, and no longer flagged for the repair.
    const released = await deliveryModel.findById(second!._id).lean();
    expect(released?.nextAttemptAt).toEqual(at(10));
    expect(await keys.findStaleHandOffs(at(60_000), 10)).toEqual([]);
  });

  it('of many racing hand-ons, exactly one hands the key on', async () => {
    await storeHeld(5);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => keys.handOn(REF.endpointId, REF.key, T0)),
    );
    expect(results.filter((id) => id !== undefined)).toHaveLength(1);
    expect(await deliveryModel.countDocuments({ status: 'pending' })).toBe(1);
  });

  it('hands many keys on at once, each to its own lowest held delivery', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `order-${i}`);
    const held = new Map<string, DeliveryEntity[]>();
    for (const key of names) held.set(key, await storeHeld(3, key));
    const refs = names.map((key) => ({ endpointId: REF.endpointId, key }));

    const first = await keys.handOnKeys(refs, T0);
    expect(first.sort()).toEqual(names.map((key) => held.get(key)![0]!._id).sort());
    // Every key is busy now: handing them on again changes nothing.
    expect(await keys.handOnKeys(refs, T0)).toEqual([]);

    // Their outcomes written in one batch, as the outcome writer does: each key goes on by one.
    const firsts = names.map((key) => held.get(key)![0]!);
    await writeEnds(firsts, 'succeeded', at(10));
    const second = await keys.ended(
      firsts.map((delivery) => endedOf(delivery)),
      at(10),
    );
    expect(second.sort()).toEqual(names.map((key) => held.get(key)![1]!._id).sort());
    expect(await deliveryModel.countDocuments({ status: 'pending' })).toBe(30);
    expect(await deliveryModel.countDocuments({ 'ordering.sequence': 3, status: 'held' })).toBe(30);
  });

  it('of racing hand-ons of many keys, exactly one hands each key on', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `order-${i}`);
    for (const key of names) await storeHeld(4, key);
    const refs = names.map((key) => ({ endpointId: REF.endpointId, key }));
    const results = await Promise.all(Array.from({ length: 6 }, () => keys.handOnKeys(refs, T0)));
    expect(results.flat()).toHaveLength(8);
    expect(new Set(results.flat()).size).toBe(8);
    const pending = await deliveryModel.find({ status: 'pending' }).lean();
    expect(pending.map((d) => d.ordering!.sequence)).toEqual(names.map(() => 1));
  });

  it('releases a key taken by a process that died before releasing its delivery', async () => {
    const [first] = await storeHeld(2);
    // The take written, the release not: the key names a delivery that is still held.
    await connection
      .collection<OrderingKeyEntity>('ordering_keys')
      .updateOne({}, { $set: { active: first!._id, checkSince: T0 }, $inc: { version: 1 } });
    // Not while the taker may still release it.
    expect(await keys.handOn(REF.endpointId, REF.key, at(1_000))).toBeUndefined();
    expect(await statuses()).toEqual({ 1: 'held', 2: 'held' });
    // The repair, later: the key is found, and its delivery released.
    expect(await keys.findUnchecked(at(10_000), 10)).toEqual([
      { endpointId: REF.endpointId, key: REF.key },
    ]);
    expect(await keys.handOn(REF.endpointId, REF.key, at(10_000))).toBe(first!._id);
    expect(await statuses()).toEqual({ 1: 'pending', 2: 'held' });
    expect(await keyState()).toMatchObject({ active: first!._id, checkSince: null });
  });

  it('hands on a delivery stored after the previous one ended, at once', async () => {
    const [first] = await storeHeld(1);
    await keys.handOn(REF.endpointId, REF.key, T0);
    await end(first!, 'succeeded');
    const [second] = await storeHeld(1);
    expect(await keys.handOn(REF.endpointId, REF.key, T0)).toBe(second!._id);
  });

  it('goes on past a failed delivery, or blocks on it until it is redelivered and ends', async () => {
    const [first, second, third] = await storeHeld(3);
    await keys.handOn(REF.endpointId, REF.key, T0);
    expect(await end(first!, 'failed')).toEqual([second!._id]);

    expect(await end(second!, 'failed', 'HTTP 500')).toEqual([]);
    expect(await statuses()).toEqual({ 1: 'failed', 2: 'failed', 3: 'held' });
    expect(await keyState()).toMatchObject({
      active: null,
      blocked: { deliveryId: second!._id, sequence: 2, reason: 'HTTP 500' },
    });
    expect(await keys.handOn(REF.endpointId, REF.key, T0)).toBeUndefined();

    // Redelivered (the API's reschedule), then it succeeds: the key goes on.
    await redeliveries.reschedule(REF.appId, { deliveryId: second!._id }, at(20));
    expect(await end(second!, 'succeeded')).toEqual([third!._id]);
    expect(await keyState()).toMatchObject({ active: third!._id, blocked: null });
  });

  it('skips a blocked key: 404 for a key it does not know, 409 for one not blocked', async () => {
    const [first, second] = await storeHeld(2);
    await keys.handOn(REF.endpointId, REF.key, T0);
    expect(await keys.skip(REF, T0)).toMatchObject({ skipped: false, reason: 'not_blocked' });
    expect(await keys.skip({ ...REF, key: 'nope' }, T0)).toEqual({
      skipped: false,
      reason: 'not_found',
    });
    // Another app cannot see or skip it.
    expect(await keys.skip({ ...REF, appId: 'app_2' }, T0)).toMatchObject({
      reason: 'not_found',
    });

    await end(first!, 'failed', 'HTTP 500');
    expect(
      (await keys.list(REF.appId, REF.endpointId, { blocked: true }, { limit: 10 })).items,
    ).toHaveLength(1);
    const skipped = await keys.skip(REF, at(30));
    expect(skipped).toMatchObject({ skipped: true, key: { blocked: null, active: second!._id } });
    expect(await statuses()).toEqual({ 1: 'failed', 2: 'pending' });
    expect(
      (await keys.list(REF.appId, REF.endpointId, { blocked: true }, { limit: 10 })).items,
    ).toEqual([]);
  });

  it('moves nothing for an outcome that was fenced out, or a delivery out of turn', async () => {
    const [first, second] = await storeHeld(2);
    await keys.handOn(REF.endpointId, REF.key, T0);
    // The outcome write did not land (another claim holds it): no flag, so no hand-off.
    expect(await keys.ended([endedOf(first!)], at(10))).toEqual([]);
    // The second, redelivered by an operator while held, ends: not the key's active one.
    await redeliveries.reschedule(REF.appId, { deliveryId: second!._id }, at(5));
    expect(await end(second!, 'succeeded')).toEqual([]);
    expect(await keyState()).toMatchObject({ active: first!._id });
  });

  it('finds keys left for the repair: stored and never handed on, or ended and not handed on', async () => {
    const [first] = await storeHeld(2);
    expect(await keys.findUnchecked(at(1), 10)).toEqual([
      { endpointId: REF.endpointId, key: REF.key },
    ]);
    await keys.handOn(REF.endpointId, REF.key, T0);
    expect(await keys.findUnchecked(at(1), 10)).toEqual([]);

    // The outcome written, then the notifier died before handing on.
    await writeEnds([first!], 'succeeded', at(5));
    expect((await keys.findStaleHandOffs(at(6), 10)).map((d) => d._id)).toEqual([first!._id]);
    expect(await keys.findStaleHandOffs(at(5), 10)).toEqual([]);
  });

  it('forgets an endpoint that is no longer ordered: what was held is due now', async () => {
    await storeHeld(3);
    await keys.handOn(REF.endpointId, REF.key, T0);
    await keys.forgetEndpoint(REF.appId, REF.endpointId, at(40));
    expect(await statuses()).toEqual({ 1: 'pending', 2: 'pending', 3: 'pending' });
    expect(await keyState()).toBeNull();
  });
});

function endedOf(delivery: DeliveryEntity, blockWith?: string): EndedOrderedDelivery {
  return {
    deliveryId: delivery._id,
    messageId: delivery.messageId,
    endpointId: delivery.endpointId,
    key: delivery.ordering!.key,
    sequence: delivery.ordering!.sequence,
    ...(blockWith === undefined ? {} : { blockWith }),
  };
}

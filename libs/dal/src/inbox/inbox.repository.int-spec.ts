import type { Connection, Model } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import type { InboxSequenceEntity } from './inbox-sequence.schema';
import { InboxRepository, type InboxOwner } from './inbox.repository';

const OWNER: InboxOwner = { appId: 'app_1', endpointId: 'ep_1' };
const T0 = new Date('2026-11-26T08:00:00.000Z');

function delivery(id: string, createdAtMs: number, owner = OWNER): DeliveryEntity {
  const at = new Date(T0.getTime() + createdAtMs);
  return {
    _id: id,
    appId: owner.appId,
    messageId: `msg_${id}`,
    endpointId: owner.endpointId,
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: at,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: null,
    createdAt: at,
    updatedAt: at,
  };
}

describe('InboxRepository (real MongoDB)', () => {
  let connection: Connection;
  let deliveries: Model<DeliveryEntity>;
  let inbox: InboxRepository;
  let uri: string;

  beforeAll(async () => {
    uri = testDatabaseUri('test_inbox');
    connection = await openConnection(uri);
    deliveries = connection.model<DeliveryEntity>('Delivery');
    const sequences = connection.model<InboxSequenceEntity>('InboxSequence');
    inbox = new InboxRepository(deliveries, sequences);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  const ids = (items: DeliveryEntity[]) => items.map((item) => item._id);
  const lastSeq = (items: DeliveryEntity[]) => items[items.length - 1]!.inboxSeq!;

  it('gives a delivery that commits late with an earlier createdAt a position after the cursor', async () => {
    await deliveries.insertMany([delivery('b', 20), delivery('c', 30)]);
    const first = await inbox.page(OWNER, { afterSeq: 0, limit: 10 });
    expect(ids(first)).toEqual(['b', 'c']);

    // Stamped before b by a slower notifier, visible only now: a createdAt cursor would skip it.
    await deliveries.insertMany([delivery('a', 10), delivery('d', 40)]);
    const next = await inbox.page(OWNER, { afterSeq: lastSeq(first), limit: 10 });
    expect(ids(next)).toEqual(['a', 'd']);
    expect(await inbox.page(OWNER, { afterSeq: lastSeq(next), limit: 10 })).toEqual([]);
  });

  it('hands out each position once when readers race', async () => {
    const owner = { appId: 'app_1', endpointId: 'ep_race' };
    await deliveries.insertMany(
      Array.from({ length: 300 }, (_, i) => delivery(`r${String(i).padStart(3, '0')}`, i, owner)),
    );
    await Promise.all(
      Array.from({ length: 6 }, () => inbox.page(owner, { afterSeq: 0, limit: 10 })),
    );
    const positions = (await deliveries.find({ endpointId: 'ep_race' }).lean()).map(
      (d) => d.inboxSeq,
    );
    expect(new Set(positions).size).toBe(300);
    expect([...positions].sort((x, y) => x! - y!)).toEqual(
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    const walk = await inbox.page(owner, { afterSeq: 0, limit: 300 });
    expect(ids(walk)).toEqual([...ids(walk)].sort());
  });

  it('never skips or repeats a delivery while two notifiers store them in any order', async () => {
    const owner = { appId: 'app_1', endpointId: 'ep_walk' };
    // Two notifiers, each with its own connection, store batches whose createdAt is anywhere in
    // a window the other one's committed batches already cover, while a recipient keeps paging.
    const notifiers = [await openConnection(uri), await openConnection(uri)];
    const written = new Set<string>();
    const write = async (index: number) => {
      const model = notifiers[index]!.model<DeliveryEntity>('Delivery');
      for (let round = 0; round < 15; round += 1) {
        const batch = Array.from({ length: 4 }, (_, i) =>
          delivery(`w${index}_${round}_${i}`, Math.floor(Math.random() * 8_000), owner),
        );
        await model.insertMany(batch);
        for (const item of batch) written.add(item._id);
      }
    };
    const seen: string[] = [];
    let afterSeq = 0;
    let writing = true;
    const writers = Promise.all([write(0), write(1)]).finally(() => {
      writing = false;
    });
    try {
      for (let done = false; !done;) {
        done = !writing;
        const page = await inbox.page(owner, { afterSeq, limit: 3 });
        seen.push(...ids(page));
        if (page.length > 0) {
          afterSeq = lastSeq(page);
          done = false;
        }
      }
      await writers;
    } finally {
      for (const notifier of notifiers) await notifier.close();
    }
    expect(seen).toHaveLength(new Set(seen).size);
    expect(new Set(seen)).toEqual(written);
  });

  it('fills a page past a full assignment batch, and filters by status', async () => {
    const owner = { appId: 'app_1', endpointId: 'ep_big' };
    const many = Array.from({ length: 1_200 }, (_, i) =>
      delivery(`m${String(i).padStart(4, '0')}`, i, owner),
    );
    many[1_100]!.status = 'failed';
    await deliveries.insertMany(many);
    const failed = await inbox.page(owner, { afterSeq: 0, limit: 5, status: 'failed' });
    expect(ids(failed)).toEqual(['m1100']);
  });

  it('walks only what was created since a time, the late commits included, with any cursor', async () => {
    const owner = { appId: 'app_1', endpointId: 'ep_since' };
    await deliveries.insertMany([delivery('s1', 10, owner), delivery('s2', 20, owner)]);
    // A reader gave both a position before the window was asked for.
    await inbox.page(owner, { afterSeq: 0, limit: 10 });
    await deliveries.insertMany([delivery('s3', 30, owner), delivery('s4', 40, owner)]);
    const since = new Date(T0.getTime() + 20);
    const first = await inbox.page(owner, { afterSeq: 0, limit: 2, since });
    expect(ids(first)).toEqual(['s2', 's3']);
    // Committed late: one stamped before the window stays out, one inside comes after the cursor.
    await deliveries.insertMany([delivery('s0', 5, owner), delivery('s5', 25, owner)]);
    const next = await inbox.page(owner, { afterSeq: lastSeq(first), limit: 10, since });
    expect(ids(next)).toEqual(['s4', 's5']);
    expect(await inbox.page(owner, { afterSeq: lastSeq(next), limit: 10, since })).toEqual([]);
    const all = await inbox.page(owner, { afterSeq: 0, limit: 10 });
    expect(ids(all)).toEqual(['s1', 's2', 's3', 's4', 's0', 's5']);
  });

  it('keeps endpoints and apps apart', async () => {
    const other = { appId: 'app_2', endpointId: 'ep_1' };
    await deliveries.insertMany([delivery('x', 0, other)]);
    const page = await inbox.page(OWNER, { afterSeq: 0, limit: 100 });
    expect(ids(page)).not.toContain('x');
    expect(await inbox.findByMessage(OWNER, 'msg_x')).toBeNull();
    expect(await inbox.acknowledge(OWNER, 'msg_x', T0)).toBeNull();
  });

  it('acknowledges: succeeded, nothing scheduled, claim cleared, deliveredAt kept once set', async () => {
    const owner = { appId: 'app_1', endpointId: 'ep_ack' };
    await deliveries.insertMany([{ ...delivery('k', 0, owner), claimToken: 'held' }]);
    const acked = await inbox.acknowledge(owner, 'msg_k', T0);
    expect(acked).toMatchObject({
      status: 'succeeded',
      nextAttemptAt: null,
      claimToken: null,
      deliveredAt: T0,
    });
    const again = await inbox.acknowledge(owner, 'msg_k', new Date(T0.getTime() + 1_000));
    expect(again?.deliveredAt).toEqual(T0);
  });
});

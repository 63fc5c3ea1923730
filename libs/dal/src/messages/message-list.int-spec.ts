import type { Connection } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import type { MessageEntity } from './message.entity';
import { MessageRepository } from './message.repository';

const APP = 'app_1';
const T0 = new Date('2026-11-26T08:00:00.000Z');

/** A notifier or the API: its own connection (pool) to the shared database. */
async function processOn(uri: string) {
  const connection = await openConnection(uri);
  return {
    connection,
    messages: new MessageRepository(
      connection.model<MessageEntity>('Message'),
      connection.model<DeliveryEntity>('Delivery'),
    ),
  };
}

function message(id: string, createdAtMs: number): MessageEntity {
  return {
    _id: id,
    appId: APP,
    eventType: 'order.paid',
    payload: {},
    targetEndpointIds: ['ep_1'],
    status: 'pending',
    createdAt: new Date(T0.getTime() + createdAtMs),
  };
}

/**
 * GET /v1/messages is newest first on (createdAt, _id), stamped by the storing notifier before
 * its batch commits, so batches may commit out of createdAt order. The property a newest-first
 * walk promises still holds: createdAt never changes, the walk only moves down, so every message
 * visible when the first page was read is returned exactly once; a late one either sorts above
 * the walk (not met) or below it (met once).
 */
describe('walking the messages list while two notifiers store messages (real MongoDB)', () => {
  let api: Awaited<ReturnType<typeof processOn>>;
  let notifiers: Awaited<ReturnType<typeof processOn>>[];

  beforeAll(async () => {
    const uri = testDatabaseUri('test_message_list');
    api = await processOn(uri);
    notifiers = [await processOn(uri), await processOn(uri)];
  });
  afterAll(async () => {
    await api.connection.dropDatabase();
    for (const process of [api, ...notifiers]) await process.connection.close();
  });

  const allIds = async (connection: Connection) =>
    new Set(
      (
        await connection.model<MessageEntity>('Message').find({ appId: APP }, { _id: 1 }).lean()
      ).map((m) => m._id),
    );

  it('returns every message visible at its first page exactly once, whatever the commit order', async () => {
    // Two notifiers store batches whose createdAt is anywhere in a window that the other one's
    // committed batches already cover: the commit order is not the createdAt order.
    await notifiers[0]!.messages.insertMany(
      Array.from({ length: 40 }, (_, i) => message(`seed_${i}`, i * 100)),
    );
    let writing = true;
    const write = async (index: number) => {
      for (let round = 0; round < 20; round += 1) {
        await notifiers[index]!.messages.insertMany(
          Array.from({ length: 5 }, (_, i) =>
            message(`n${index}_${round}_${i}`, Math.floor(Math.random() * 8_000)),
          ),
        );
      }
    };
    const writers = Promise.all([write(0), write(1)]).finally(() => {
      writing = false;
    });
    let walks = 0;
    while (writing || walks === 0) {
      walks += 1;
      const visible = await allIds(api.connection);
      const returned: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.messages.list(
          APP,
          {},
          { limit: 7, ...(cursor === undefined ? {} : { cursor }) },
        );
        returned.push(...page.items.map((m) => m._id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(returned).toHaveLength(new Set(returned).size);
      expect([...visible].filter((id) => !returned.includes(id))).toEqual([]);
    }
    await writers;
    expect(walks).toBeGreaterThan(0);
  });
});

import { mongo } from 'mongoose';
import { testDatabaseUri } from '../../../test/support/test-database';
import { openConnection } from './connection';
import { isIndexNotFound } from './shared/mongo-errors';

describe('openConnection (real MongoDB)', () => {
  const uri = testDatabaseUri('test_connection');
  const client = new mongo.MongoClient(uri);

  beforeAll(() => client.connect());
  afterAll(async () => {
    await client.db().dropDatabase();
    await client.close();
  });

  it('drops the indexes an earlier version left, which every write would keep maintaining', async () => {
    // What the previous version created on deliveries, beside today's indexes.
    const deliveries = client.db().collection('deliveries');
    await deliveries.createIndex(
      { nextAttemptAt: 1 },
      { partialFilterExpression: { status: 'pending' }, name: 'due_pending' },
    );
    await deliveries.createIndex(
      { updatedAt: 1 },
      { partialFilterExpression: { messageStatusStale: true }, name: 'message_status_stale' },
    );
    await deliveries.createIndex({ endpointId: 1, status: 1, updatedAt: 1 });
    await deliveries.createIndex({ endpointId: 1, status: 1, inboxSeq: 1 });
    await client.db().collection('messages').createIndex({ status: 1, createdAt: 1, _id: 1 });

    const connection = await openConnection(uri);
    const names = (await deliveries.indexes()).map((index) => index.name);
    const messageIndexes = (await client.db().collection('messages').indexes()).map(
      (index) => index.name,
    );
    // A second process starting finds nothing left to drop.
    await (await openConnection(uri)).close();
    await connection.close();

    expect(names).not.toContain('due_pending');
    expect(names).not.toContain('message_status_stale');
    expect(names).not.toContain('endpointId_1_status_1_updatedAt_1');
    expect(names).not.toContain('endpointId_1_status_1_inboxSeq_1');
    // Their partial successors were created first.
    expect(names).toEqual(
      expect.arrayContaining([
        'due_pending_by_app',
        'open_by_endpoint',
        'failed_by_endpoint',
        'inbox_by_status',
      ]),
    );
    expect(messageIndexes).not.toContain('status_1_createdAt_1__id_1');
    expect(messageIndexes).toContain('ended_by_age');
  });

  it('knows the answer to dropping an index another process dropped first', async () => {
    const collection = client.db().collection<{ _id: string }>('retired_index_race');
    await collection.insertOne({ _id: 'so_that_the_collection_exists' });
    const error: unknown = await collection
      .dropIndex('due_pending')
      .catch((caught: unknown) => caught);
    expect(isIndexNotFound(error)).toBe(true);
    expect(isIndexNotFound(new Error('timeout'))).toBe(false);
  });
});

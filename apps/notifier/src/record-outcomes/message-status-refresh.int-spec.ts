import type { Connection } from 'mongoose';
import {
  MessageRepository,
  openConnection,
  StatusRefreshRepository,
  type DeliveryEntity,
  type MessageEntity,
  type StatusRefreshEntity,
} from '@app/dal';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { MessageStatusRefresh } from './message-status-refresh';

const T0 = new Date('2026-12-03T08:00:00.000Z');

/** Counts its refreshes; fails the next ones while `failures` is above zero. */
class CountingMessages extends MessageRepository {
  readonly calls: number[] = [];
  failures = 0;
  /** Resolved by the test to let the refresh under way go on. */
  gate: Promise<void> = Promise.resolve();

  override async refreshStatusAfterOutcomes(messageIds: readonly string[]): Promise<Set<string>> {
    this.calls.push(messageIds.length);
    await this.gate;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('MongoNetworkError: connection reset');
    }
    return super.refreshStatusAfterOutcomes(messageIds);
  }
}

describe('MessageStatusRefresh (real MongoDB)', () => {
  let connection: Connection;
  let messages: CountingMessages;
  let owed: StatusRefreshRepository;
  let refresh: MessageStatusRefresh;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_statuses'));
  });
  beforeEach(async () => {
    await connection.dropDatabase();
    messages = new CountingMessages(
      connection.model<MessageEntity>('Message'),
      connection.model<DeliveryEntity>('Delivery'),
    );
    owed = new StatusRefreshRepository(connection.model<StatusRefreshEntity>('StatusRefresh'));
    refresh = new MessageStatusRefresh(messages, owed);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('writes the statuses of messages whose deliveries ended, and settles what they owed', async () => {
    await store([ended('a', 'succeeded'), ended('b', 'failed')]);

    refresh.add([await owe(1, 'a', 'b')]);
    expect(refresh.pending).toBe(2);
    expect(await refresh.settled()).toBe(true);

    expect(await statusOf('a')).toBe('delivered');
    expect(await statusOf('b')).toBe('failed');
    expect(await owed.findLeftBefore(new Date(Date.now() + 60_000), 10)).toEqual([]);
    expect(refresh.pending).toBe(0);
  });

  it('takes an owed refresh it already holds once (the repair finds the ones a slow refresh holds)', async () => {
    await store([ended('a', 'succeeded')]);
    let release!: () => void;
    messages.gate = new Promise((resolve) => (release = resolve));
    const entry = await owe(1, 'a');

    refresh.add([entry]);
    refresh.add([entry]);
    expect(refresh.pending).toBe(1);
    release();
    expect(await refresh.settled()).toBe(true);

    expect(messages.calls).toEqual([1]);
  });

  it('refreshes what ended during a refresh together, in the next one', async () => {
    await store(['a', 'b', 'c', 'd'].map((id) => ended(id, 'succeeded')));
    let release!: () => void;
    messages.gate = new Promise((resolve) => (release = resolve));

    refresh.add([await owe(1, 'a')]);
    refresh.add([await owe(2, 'b')]);
    refresh.add([await owe(3, 'c', 'd')]);
    expect(refresh.pending).toBe(4);
    release();
    expect(await refresh.settled()).toBe(true);

    expect(messages.calls).toEqual([1, 3]);
    for (const id of ['a', 'b', 'c', 'd']) expect(await statusOf(id)).toBe('delivered');
  });

  it('tries a failed refresh again, and says so until it went through', async () => {
    await store([ended('a', 'succeeded')]);
    messages.failures = 1;

    refresh.add([await owe(1, 'a')]);
    expect(await refresh.settled()).toBe(false);
    expect(refresh.pending).toBe(1);
    expect(await statusOf('a')).toBe('pending');
    expect(await owed.findLeftBefore(new Date(Date.now() + 60_000), 10)).toHaveLength(1);

    expect(await refresh.settled()).toBe(true);
    expect(messages.calls).toEqual([1, 1]);
    expect(await statusOf('a')).toBe('delivered');
  });

  it('tells its listeners after every refresh, failed or written', async () => {
    await store([ended('a', 'succeeded')]);
    messages.failures = 1;
    const pendings: number[] = [];
    refresh.onRefreshed(() => pendings.push(refresh.pending));

    refresh.add([await owe(1, 'a')]);
    expect(await refresh.settled()).toBe(false);
    expect(await refresh.settled()).toBe(true);

    expect(pendings).toEqual([1, 0]);
  });

  async function store(deliveries: DeliveryEntity[]): Promise<void> {
    await connection.collection('messages').insertMany(
      deliveries.map((d) => ({
        _id: d.messageId,
        appId: 'app_1',
        eventType: 'order.paid',
        payload: {},
        targetEndpointIds: [d.endpointId],
        status: 'pending',
        createdAt: T0,
      })) as never[],
    );
    await connection.collection('deliveries').insertMany(deliveries as never[]);
  }

  /** What an outcome batch numbered `batch`, ending these messages' deliveries, owes. */
  function owe(batch: number, ...ids: string[]): Promise<StatusRefreshEntity> {
    return owed.owe({ _id: `w_1:${batch}`, messageIds: ids.map((id) => `msg_${id}`) }, T0);
  }

  async function statusOf(id: string): Promise<unknown> {
    return (await connection.collection('messages').findOne({ _id: `msg_${id}` as never }))?.status;
  }
});

/** A delivery whose outcome ended it `status`, written but its message not refreshed yet. */
function ended(id: string, status: 'succeeded' | 'failed'): DeliveryEntity {
  return {
    _id: `dlv_${id}`,
    appId: 'app_1',
    messageId: `msg_${id}`,
    endpointId: 'ep_1',
    channel: 'webhook',
    status,
    attemptCount: 1,
    nextAttemptAt: null,
    lastAttemptAt: T0,
    lastError: status === 'failed' ? 'HTTP 410' : null,
    deliveredAt: status === 'succeeded' ? T0 : null,
    claimToken: null,
    createdAt: T0,
    updatedAt: T0,
  };
}

import { ConnectionString } from 'mongodb-connection-string-url';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import {
  MessageRepository,
  openConnection,
  type DeliveryEntity,
  type MessageEntity,
} from '@app/dal';
import { MessageStatusRefresh } from './message-status-refresh';

const T0 = new Date('2026-12-03T08:00:00.000Z');

type Ended = Pick<DeliveryEntity, '_id' | 'messageId'>;

/** Counts its refreshes; fails the next ones while `failures` is above zero. */
class CountingMessages extends MessageRepository {
  readonly calls: number[] = [];
  failures = 0;
  /** Resolved by the test to let the refresh under way go on. */
  gate: Promise<void> = Promise.resolve();

  override async refreshStatusOfEnded(ended: readonly Ended[]): Promise<void> {
    this.calls.push(ended.length);
    await this.gate;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('MongoNetworkError: connection reset');
    }
    await super.refreshStatusOfEnded(ended);
  }
}

describe('MessageStatusRefresh (real MongoDB)', () => {
  let connection: Connection;
  let messages: CountingMessages;
  let refresh: MessageStatusRefresh;

  beforeAll(async () => {
    // eslint-disable-next-line no-restricted-properties -- the e2e global setup provides the test MongoDB
    const url = new ConnectionString(process.env.MONGODB_URI!);
    url.pathname = `/test_statuses_${randomBytes(4).toString('hex')}`;
    connection = await openConnection(url.toString());
  });
  beforeEach(async () => {
    await connection.dropDatabase();
    messages = new CountingMessages(
      connection.model<MessageEntity>('Message'),
      connection.model<DeliveryEntity>('Delivery'),
    );
    refresh = new MessageStatusRefresh(messages);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('writes the statuses of messages whose deliveries ended, and clears their stale flags', async () => {
    await store([ended('a', 'succeeded'), ended('b', 'failed')]);

    refresh.add([delivery('a'), delivery('b')]);
    expect(refresh.pending).toBe(2);
    expect(await refresh.settled()).toBe(true);

    expect(await statusOf('a')).toBe('delivered');
    expect(await statusOf('b')).toBe('failed');
    expect(
      await connection.collection('deliveries').countDocuments({ messageStatusStale: true }),
    ).toBe(0);
    expect(refresh.pending).toBe(0);
  });

  it('refreshes what ended during a refresh together, in the next one', async () => {
    await store(['a', 'b', 'c', 'd'].map((id) => ended(id, 'succeeded')));
    let release!: () => void;
    messages.gate = new Promise((resolve) => (release = resolve));

    refresh.add([delivery('a')]);
    refresh.add([delivery('b')]);
    refresh.add([delivery('c'), delivery('d')]);
    expect(refresh.pending).toBe(4);
    release();
    expect(await refresh.settled()).toBe(true);

    expect(messages.calls).toEqual([1, 3]);
    for (const id of ['a', 'b', 'c', 'd']) expect(await statusOf(id)).toBe('delivered');
  });

  it('tries a failed refresh again, and says so until it went through', async () => {
    await store([ended('a', 'succeeded')]);
    messages.failures = 1;

    refresh.add([delivery('a')]);
    expect(await refresh.settled()).toBe(false);
    expect(refresh.pending).toBe(1);
    expect(await statusOf('a')).toBe('pending');

    expect(await refresh.settled()).toBe(true);
    expect(messages.calls).toEqual([1, 1]);
    expect(await statusOf('a')).toBe('delivered');
  });

  it('tells its listeners after every refresh, failed or written', async () => {
    await store([ended('a', 'succeeded')]);
    messages.failures = 1;
    const pendings: number[] = [];
    refresh.onRefreshed(() => pendings.push(refresh.pending));

    refresh.add([delivery('a')]);
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

  async function statusOf(id: string): Promise<unknown> {
    return (await connection.collection('messages').findOne({ _id: `msg_${id}` as never }))?.status;
  }
});

function delivery(id: string): Ended {
  return { _id: `dlv_${id}`, messageId: `msg_${id}` };
}

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
    messageStatusStale: true,
    createdAt: T0,
    updatedAt: T0,
  };
}

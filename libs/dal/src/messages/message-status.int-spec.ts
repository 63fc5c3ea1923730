import type { Connection } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { DeliveryRepository, type DeliveryUpdate } from '../deliveries/delivery.repository';
import type { MessageEntity } from './message.entity';
import { MessageRepository } from './message.repository';

const T0 = new Date('2026-11-26T08:00:00.000Z');
const MESSAGES = 3_000;
const SMALL_BATCH = 10;
/** The other notifier's outcome batches written at once (its flushes overlap under load). */
const STREAMS = 4;

/** One notifier: its own connection (pool) to the shared database, as two processes have. */
interface Notifier {
  connection: Connection;
  deliveries: DeliveryRepository;
  messages: MessageRepository;
}

async function notifier(uri: string): Promise<Notifier> {
  const connection = await openConnection(uri);
  const deliveryModel = connection.model<DeliveryEntity>('Delivery');
  return {
    connection,
    deliveries: new DeliveryRepository(deliveryModel),
    messages: new MessageRepository(connection.model<MessageEntity>('Message'), deliveryModel),
  };
}

function message(id: string, status: MessageEntity['status']): MessageEntity {
  return {
    _id: id,
    appId: 'app_1',
    eventType: 'order.paid',
    payload: {},
    targetEndpointIds: ['ep_a', 'ep_b'],
    status,
    createdAt: T0,
  };
}

function delivery(messageId: string, side: 'a' | 'b'): DeliveryEntity {
  return {
    _id: `${messageId}_${side}`,
    appId: 'app_1',
    messageId,
    endpointId: `ep_${side}`,
    channel: 'webhook',
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: T0,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: `claim_${side}`,
    createdAt: T0,
    updatedAt: T0,
  };
}

const SUCCEEDED: DeliveryUpdate = {
  status: 'succeeded',
  attemptCount: 1,
  nextAttemptAt: null,
  lastAttemptAt: T0,
  lastError: null,
  deliveredAt: T0,
  updatedAt: T0,
};

function batches(ids: string[]): string[][] {
  return Array.from({ length: Math.ceil(ids.length / SMALL_BATCH) }, (_, i) =>
    ids.slice(i * SMALL_BATCH, (i + 1) * SMALL_BATCH),
  );
}

describe('message status written by two notifiers at once (real MongoDB)', () => {
  let a: Notifier;
  let b: Notifier;

  beforeAll(async () => {
    const uri = testDatabaseUri('test_status');
    a = await notifier(uri);
    b = await notifier(uri);
  });
  afterAll(async () => {
    await a.connection.dropDatabase();
    await a.connection.close();
    await b.connection.close();
  });

  it('never leaves a message pending once both of its deliveries ended at the same instant', async () => {
    const ids = Array.from({ length: MESSAGES }, (_, i) => `msg_${i}`);
    await a.messages.insertMany(ids.map((id) => message(id, 'pending')));
    await a.deliveries.insertMany(ids.flatMap((id) => [delivery(id, 'a'), delivery(id, 'b')]));

    // Both notifiers end their delivery of every message at the same moment and refresh the
    // statuses, as OutcomeWriter does: one in a single large batch (its refresh reads every
    // delivery, then writes every message), the other in small batches meanwhile, so for many
    // messages the other one's refresh lands between the first one's read and its write.
    const ended = (side: 'a' | 'b', batch: string[]) =>
      batch.map((id) => ({
        deliveryId: `${id}_${side}`,
        claimToken: `claim_${side}`,
        update: SUCCEEDED,
      }));
    // The messages a refresh reports not written stay owed, for the repair.
    const owed = new Set<string>();
    const endAll = async () => {
      await a.deliveries.recordOutcomes(ended('a', ids));
      for (const id of await a.messages.refreshStatusAfterOutcomes(ids)) owed.add(id);
    };
    const endInSmallBatches = async (stream: number) => {
      for (const [index, batch] of batches(ids).entries()) {
        if (index % STREAMS !== stream) continue;
        await b.deliveries.recordOutcomes(ended('b', batch));
        for (const id of await b.messages.refreshStatusAfterOutcomes(batch)) owed.add(id);
      }
    };
    await Promise.all([
      endAll(),
      ...Array.from({ length: STREAMS }, (_, stream) => endInSmallBatches(stream)),
    ]);

    const deliveryModel = a.connection.model<DeliveryEntity>('Delivery');
    expect(await deliveryModel.countDocuments({ status: { $ne: 'succeeded' } })).toBe(0);
    const stuck = await a.connection
      .model<MessageEntity>('Message')
      .find({ status: { $ne: 'delivered' } }, { _id: 1, status: 1 })
      .lean();
    // A message whose status is still wrong must at least stay owed, for the repair.
    expect({ stuck: stuck.length, owed: stuck.every((message) => owed.has(message._id)) }).toEqual({
      stuck: 0,
      owed: true,
    });
  });
});

describe('a status refresh of a message some delivery still holds open (real MongoDB)', () => {
  let n: Notifier;
  const messageModel = () => n.connection.model<MessageEntity>('Message');

  beforeAll(async () => {
    n = await notifier(testDatabaseUri('test_status_open'));
  });
  afterAll(async () => {
    await n.connection.dropDatabase();
    await n.connection.close();
  });

  async function twoDeliveries(id: string, status: MessageEntity['status']): Promise<void> {
    await n.messages.insertMany([message(id, status)]);
    await n.deliveries.insertMany([delivery(id, 'a'), delivery(id, 'b')]);
    await n.deliveries.recordOutcomes([
      { deliveryId: `${id}_a`, claimToken: 'claim_a', update: SUCCEEDED },
    ]);
  }

  it('writes nothing to a pending message, and reports it refreshed', async () => {
    await twoDeliveries('msg_open', 'pending');

    expect(await n.messages.refreshStatusAfterOutcomes(['msg_open'])).toEqual(new Set());

    const stored = await messageModel().findById('msg_open').lean();
    expect({ status: stored?.status, stamped: stored?.statusRefresh !== undefined }).toEqual({
      status: 'pending',
      stamped: false,
    });
  });

  it('still writes pending over another status while a delivery is open again (a redelivery)', async () => {
    await twoDeliveries('msg_reopened', 'failed');

    await n.messages.refreshStatusAfterOutcomes(['msg_reopened']);

    expect((await messageModel().findById('msg_reopened').lean())?.status).toBe('pending');
  });

  it('writes the final status once the last delivery ended', async () => {
    await twoDeliveries('msg_last', 'pending');
    await n.deliveries.recordOutcomes([
      { deliveryId: 'msg_last_b', claimToken: 'claim_b', update: SUCCEEDED },
    ]);

    await n.messages.refreshStatusAfterOutcomes(['msg_last']);

    expect((await messageModel().findById('msg_last').lean())?.status).toBe('delivered');
  });
});

describe('a status refresh overtaken between its read and its write (real MongoDB)', () => {
  let n: Notifier;

  beforeAll(async () => {
    n = await notifier(testDatabaseUri('test_status_fence'));
  });
  afterAll(async () => {
    await n.connection.dropDatabase();
    await n.connection.close();
  });

  /** A MessageRepository that runs `meanwhile` once, after its first read of the deliveries. */
  function pausedAfterRead(meanwhile: () => Promise<void>): MessageRepository {
    const deliveryModel = n.connection.model<DeliveryEntity>('Delivery');
    let paused = false;
    const deliveries = new Proxy(deliveryModel, {
      get(target, property, receiver) {
        if (property !== 'find') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<typeof target.find>) => {
          const query = target.find(...args);
          const exec = query.exec.bind(query);
          query.exec = async () => {
            const read = await exec();
            if (!paused) {
              paused = true;
              await meanwhile();
            }
            return read;
          };
          return query;
        };
      },
    });
    return new MessageRepository(n.connection.model<MessageEntity>('Message'), deliveries);
  }

  it('writes the status of the later read when another refresh lands in between', async () => {
    const id = 'msg_overtaken';
    await n.messages.insertMany([message(id, 'failed')]);
    await n.deliveries.insertMany([
      { ...delivery(id, 'a'), status: 'succeeded' },
      { ...delivery(id, 'b'), status: 'failed' },
    ]);
    // This refresh reads the deliveries (one failed: `failed`); before it writes, the failed one
    // is redelivered and another refresh writes `pending`.
    const slow = pausedAfterRead(async () => {
      await n.connection
        .model<DeliveryEntity>('Delivery')
        .updateOne({ _id: `${id}_b` }, { $set: { status: 'pending' } });
      await n.messages.refreshStatus('app_1', [id]);
    });

    expect(await slow.refreshStatusAfterOutcomes([id])).toEqual(new Set());

    const stored = await n.connection.model<MessageEntity>('Message').findById(id).lean();
    expect(stored?.status).toBe('pending');
  });
});

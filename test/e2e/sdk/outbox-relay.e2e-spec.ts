import type { ClientSession } from 'mongodb';
import {
  AmqpPublisher,
  Outbox,
  OutboxRelay,
  type BatchItem,
  type BatchOutcome,
  type OutboxEntry,
  type OutboxPublisher,
} from '@app/client';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { producerDb, type ProducerDb } from '../../support/producer-db';
import { WebhookSink } from '../../support/webhook-sink';

const quiet = { warn: () => undefined };

/**
 * The transactional outbox against the real MongoDB, RabbitMQ and platform: what a producer
 * commits is published, exactly once as far as the recipient can tell, whichever way its relay
 * stops.
 */
describe('SDK: transactional outbox and relay', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let app: { id: string; apiKey: string };
  let shop: ProducerDb;
  let publisher: AmqpPublisher;

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
    app = await platform.createApp('outbox');
    const endpoint = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/orders'),
      eventTypes: ['order.*'],
    });
    expect(endpoint.status).toBe(201);
    publisher = new AmqpPublisher({ url: platform.amqpUrl, appId: app.id, logger: quiet });
  });

  afterAll(async () => {
    await publisher?.close();
    await platform?.stop();
    await sink.stop();
  });

  let outbox: Outbox;
  beforeEach(async () => {
    shop = await producerDb('shop');
    outbox = new Outbox(shop.db, { appId: app.id });
    await outbox.ensureIndexes();
  });
  afterEach(() => shop.drop());

  /** Places `count` orders, each with its outbox record in the same transaction. */
  async function placeOrders(count: number, tag: string): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    for (let i = 0; i < count; i++) {
      let entry: OutboxEntry | undefined;
      // The callback may run again on a transient error: keep only the committed run's entry.
      await withTransaction(async (session) => {
        const orderId = `${tag}-${i}`;
        await shop.db
          .collection('orders')
          .insertOne({ _id: orderId as never, total: i }, { session });
        entry = await outbox.write(session, { eventType: 'order.paid', payload: { orderId } });
      });
      entries.push(entry!);
    }
    return entries;
  }

  async function withTransaction(work: (session: ClientSession) => Promise<void>): Promise<void> {
    const session = shop.client.startSession();
    try {
      await session.withTransaction(() => work(session));
    } finally {
      await session.endSession();
    }
  }

  /** Every entry's message is stored by the platform once and reached the recipient once. */
  async function expectDeliveredOnce(entries: readonly OutboxEntry[]): Promise<void> {
    const ids = entries.map((entry) => entry.messageId);
    await eventually(
      () => {
        const received = new Set(
          sink.requestsTo('/orders').map((request) => request.headers['webhook-id'] as string),
        );
        return ids.every((id) => received.has(id)) ? true : undefined;
      },
      { what: `the recipient to get all ${ids.length} messages`, timeoutMs: 30_000 },
    );
    const stored = await platform.db
      .collection('messages')
      .countDocuments({ _id: { $in: ids as never[] } });
    expect(stored).toBe(ids.length);
    const webhookIds = sink
      .requestsTo('/orders')
      .map((request) => request.headers['webhook-id'] as string)
      .filter((id) => ids.includes(id));
    expect(webhookIds.sort()).toEqual([...ids].sort());
  }

  it('publishes what was committed and marks it sent', async () => {
    const entries = await placeOrders(5, 'plain');
    expect(await outbox.countPending()).toBe(5);
    const relay = new OutboxRelay({ outbox, publisher, logger: quiet });
    expect(await relay.drain()).toBe(5);
    expect(await outbox.countPending()).toBe(0);
    const records = await outbox.collection.find().toArray();
    expect(records.every((r) => r.status === 'sent' && r.sentAt !== null && r.attempts === 1)).toBe(
      true,
    );
    await expectDeliveredOnce(entries);
    const message = await platform.request(
      'GET',
      `/v1/messages/${entries[0]!.messageId}`,
      app.apiKey,
    );
    expect(message.body).toMatchObject({
      eventType: 'order.paid',
      payload: { orderId: 'plain-0' },
    });
  });

  it('writes nothing when the business transaction rolls back, and needs a transaction', async () => {
    await expect(
      withTransaction(async (session) => {
        await shop.db.collection('orders').insertOne({ _id: 'rolled-back' as never }, { session });
        await outbox.write(session, {
          eventType: 'order.paid',
          payload: { orderId: 'rolled-back' },
        });
        throw new Error('payment declined');
      }),
    ).rejects.toThrow('payment declined');
    expect(await outbox.collection.countDocuments()).toBe(0);
    expect(await shop.db.collection('orders').countDocuments()).toBe(0);

    const session = shop.client.startSession();
    await expect(outbox.write(session, { eventType: 'order.paid', payload: {} })).rejects.toThrow(
      /inside a transaction/,
    );
    await session.endSession();
  });

  it('loses nothing when a relay stops after claiming, before publishing', async () => {
    const entries = await placeOrders(10, 'claimed');
    // A relay that claimed a batch and then never got to publish it (hung, or killed).
    const stuck: OutboxPublisher = { appId: app.id, publishBatch: () => new Promise(() => {}) };
    const dead = new OutboxRelay({ outbox, publisher: stuck, leaseMs: 1_000, logger: quiet });
    void dead.runOnce();
    await eventually(async () =>
      (await outbox.collection.countDocuments({ claimToken: { $ne: null } })) === 10
        ? true
        : undefined,
    );
    const survivor = new OutboxRelay({ outbox, publisher, logger: quiet });
    expect(await survivor.drain()).toBe(0); // still leased to the dead relay
    const published = await eventually(async () => {
      const count = await survivor.drain();
      return count > 0 ? count : undefined;
    });
    expect(published).toBe(10);
    await expectDeliveredOnce(entries);
  });

  it('delivers once when a relay dies after the broker confirmed, before marking sent', async () => {
    const entries = await placeOrders(10, 'confirmed');
    let confirmed = 0;
    // Publishes for real, then never returns: the records stay claimed, not marked sent.
    const diesAfterConfirm: OutboxPublisher = {
      appId: app.id,
      publishBatch: async (items: readonly BatchItem[]): Promise<BatchOutcome[]> => {
        const outcomes = await publisher.publishBatch(items);
        confirmed += outcomes.filter((outcome) => outcome.ok).length;
        return new Promise(() => {});
      },
    };
    const dead = new OutboxRelay({
      outbox,
      publisher: diesAfterConfirm,
      leaseMs: 1_000,
      logger: quiet,
    });
    void dead.runOnce();
    await eventually(() => (confirmed === 10 ? true : undefined));
    expect(await outbox.countPending()).toBe(10);

    const survivor = new OutboxRelay({ outbox, publisher, logger: quiet });
    const republished = await eventually(async () => {
      const count = await survivor.drain();
      return count > 0 ? count : undefined;
    });
    expect(republished).toBe(10);
    // Published twice, stored and delivered once: the AMQP messageId is the outbox record id.
    await expectDeliveredOnce(entries);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expectDeliveredOnce(entries);
  });

  it('keeps an unconfirmed record pending and publishes it on a later round', async () => {
    const entries = await placeOrders(3, 'retried');
    const unreachable = new AmqpPublisher({
      url: 'amqp://guest:guest@127.0.0.1:1',
      appId: app.id,
      logger: quiet,
    });
    const failing = new OutboxRelay({
      outbox,
      publisher: unreachable,
      retryInitialDelayMs: 50,
      retryMaxDelayMs: 100,
      logger: quiet,
    });
    expect(await failing.runOnce()).toEqual({ claimed: 3, published: 0, failed: 3 });
    const records = await outbox.collection.find().toArray();
    expect(records.every((r) => r.status === 'pending' && r.claimToken === null)).toBe(true);
    expect(records.every((r) => r.attempts === 1 && r.lastError !== null)).toBe(true);

    const relay = new OutboxRelay({ outbox, publisher, logger: quiet });
    relay.start();
    try {
      await eventually(async () => ((await outbox.countPending()) === 0 ? true : undefined));
    } finally {
      await relay.stop();
    }
    await expectDeliveredOnce(entries);
  });

  it('lets several relays share one outbox, each record claimed by one of them', async () => {
    const entries = await placeOrders(60, 'shared');
    const relays = [1, 2, 3].map(
      () => new OutboxRelay({ outbox, publisher, batchSize: 7, pollIntervalMs: 10, logger: quiet }),
    );
    for (const relay of relays) relay.start();
    try {
      await eventually(async () => ((await outbox.countPending()) === 0 ? true : undefined));
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
    }
    const attempts = await outbox.collection.distinct('attempts');
    expect(attempts).toEqual([1]);
    await expectDeliveredOnce(entries);
  });

  it('refuses a publisher of another app', () => {
    const other = new AmqpPublisher({ url: platform.amqpUrl, appId: 'app_other' });
    expect(() => new OutboxRelay({ outbox, publisher: other })).toThrow(/app_other/);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver, type Receiver } from '../../../examples/receiver/receiver';
import { setupExample } from '../../../examples/setup/setup';
import { startShop, type Shop } from '../../../examples/shop/shop';
import type { ExampleState } from '../../../examples/config';
import { eventually } from '../../support/eventually';
import { ADMIN_KEY, TestPlatform } from '../../support/platform';
import { producerDb, type ProducerDb } from '../../support/producer-db';

/**
 * examples/: the shop publishes order.paid through its outbox, the receiver gets the signed
 * webhook, and after being down catches up from its inbox. The same functions the npm scripts run.
 */
describe('examples: shop (outbox) and receiver (webhook + inbox)', () => {
  let platform: TestPlatform;
  let state: ExampleState;
  let shopDb: ProducerDb;
  let shop: Shop;
  let receiver: Receiver | undefined;
  let receiverPort: number;
  let dir: string;
  const silent = () => undefined;

  beforeAll(async () => {
    // A long retry schedule: a webhook missed while the receiver is down is not retried soon.
    platform = await TestPlatform.start({ env: { RETRY_SCHEDULE: '1h' } });
    receiverPort = await freePort();
    state = await setupExample({
      notifyUrl: platform.baseUrl,
      adminKey: ADMIN_KEY,
      receiverUrl: `http://127.0.0.1:${receiverPort}/webhooks`,
    });
    dir = await mkdtemp(join(tmpdir(), 'examples-'));
    shopDb = await producerDb('example_shop');
    shop = await startShop(
      {
        mongodbUri: shopDb.uri,
        amqpUrls: [platform.amqpUrl],
        appId: state.appId,
        port: 0,
        demoIntervalMs: 0,
      },
      silent,
    );
  });

  afterAll(async () => {
    await receiver?.stop();
    await shop?.stop();
    await shopDb?.drop();
    await platform?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const startTheReceiver = () =>
    startReceiver(
      {
        notifyUrl: state.notifyUrl,
        secret: state.secret,
        recipientToken: state.recipientToken,
        port: receiverPort,
        cursorFile: join(dir, 'cursor'),
        inboxPollIntervalMs: 60_000,
      },
      silent,
    );

  async function messageStatus(id: string): Promise<string | undefined> {
    const { status, body } = await platform.request('GET', `/v1/messages/${id}`, state.apiKey);
    return status === 200 ? body.status : undefined;
  }

  it('a paid order reaches the receiver as a verified webhook', async () => {
    receiver = await startTheReceiver();
    const placed = await shop.placeOrder({ item: 'book', amount: 12 });
    const order = await shop.db.collection('orders').findOne({ _id: placed.orderId as never });
    expect(order).toMatchObject({ status: 'paid', item: 'book' });

    const got = await eventually(() =>
      receiver!.received.find((r) => r.messageId === placed.messageId),
    );
    expect(got).toEqual({
      messageId: placed.messageId,
      eventType: 'order.paid',
      via: 'webhook',
      data: expect.objectContaining({ orderId: placed.orderId, item: 'book', amount: 12 }),
    });
    await eventually(async () =>
      (await messageStatus(placed.messageId)) === 'delivered' ? true : undefined,
    );
    expect(await shop.outbox.countPending()).toBe(0);
  });

  it('the receiver catches up from its inbox after being down', async () => {
    await receiver!.stop();
    receiver = undefined;
    const missed = await shop.placeOrder({ item: 'lamp', amount: 30 });
    // The platform tried the webhook, found nobody, and waits an hour for the next attempt.
    await eventually(async () => {
      const { body } = await platform.request(
        'GET',
        `/v1/messages/${missed.messageId}`,
        state.apiKey,
      );
      return body?.deliveries?.[0]?.attemptCount === 1 ? true : undefined;
    });
    expect(await messageStatus(missed.messageId)).toBe('pending');

    receiver = await startTheReceiver();
    const got = receiver.received.find((r) => r.messageId === missed.messageId);
    expect(got).toMatchObject({ via: 'inbox', data: expect.objectContaining({ item: 'lamp' }) });
    // Acked in the inbox: the delivery succeeded and its retries stopped.
    expect(await messageStatus(missed.messageId)).toBe('delivered');
    // The first order was delivered by webhook before; the catch-up did not hand it over again.
    expect(receiver.received.map((r) => r.messageId)).toEqual([missed.messageId]);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

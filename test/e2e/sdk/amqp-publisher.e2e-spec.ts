import { connect } from 'amqplib';
import { AmqpPublisher, InvalidMessageError, UnconfirmedPublishError } from '@app/client';
import { EVENTS_EXCHANGE } from '@app/contracts';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { createVhost, type Vhost } from '../../support/rabbit-vhost';

const quiet = { warn: () => undefined };
const fast = { attempts: 2, initialDelayMs: 10, maxDelayMs: 20, confirmTimeoutMs: 2_000 };

describe('SDK: AMQP publisher', () => {
  let platform: TestPlatform;
  let app: { id: string; apiKey: string };
  let publisher: AmqpPublisher;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    app = await platform.createApp('amqp-sdk');
    publisher = new AmqpPublisher({ url: platform.amqpUrl, appId: app.id, logger: quiet });
  });
  afterAll(async () => {
    await publisher?.close();
    await platform?.stop();
  });

  async function stored(messageId: string): Promise<any> {
    return eventually(async () => {
      const { status, body } = await platform.request(
        'GET',
        `/v1/messages/${messageId}`,
        app.apiKey,
      );
      return status === 200 ? body : undefined;
    });
  }

  it('publishes with a confirm and knows the id the platform stores the message under', async () => {
    const receipt = await publisher.publish({ eventType: 'order.paid', payload: { orderId: 1 } });
    expect(await stored(receipt.messageId)).toMatchObject({
      id: receipt.messageId,
      eventType: 'order.paid',
      payload: { orderId: 1 },
      idempotencyKey: receipt.amqpMessageId,
    });
    const keyed = await publisher.publish({
      eventType: 'order.paid',
      payload: { orderId: 2 },
      idempotencyKey: 'order-2',
    });
    expect(await stored(keyed.messageId)).toMatchObject({ idempotencyKey: 'order-2' });
  });

  it('stores a message published twice with one AMQP messageId once', async () => {
    const message = { eventType: 'order.paid', payload: { orderId: 3 } };
    const first = await publisher.publish(message, { amqpMessageId: 'replayed-3' });
    const again = await publisher.publish(message, { amqpMessageId: 'replayed-3' });
    expect(again.messageId).toBe(first.messageId);
    await stored(first.messageId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { body } = await platform.request(
      'GET',
      '/v1/messages?eventType=order.paid&limit=500',
      app.apiKey,
    );
    expect(body.data.filter((m: { id: string }) => m.id === first.messageId)).toHaveLength(1);
  });

  it('refuses a message the platform would dead-letter, before sending it', async () => {
    await expect(
      publisher.publish({ eventType: 'not valid!', payload: { a: 1 } }),
    ).rejects.toBeInstanceOf(InvalidMessageError);
  });

  describe('reports an unconfirmed publish as an error', () => {
    let vhost: Vhost;
    beforeAll(async () => (vhost = await createVhost()));
    afterAll(() => vhost.remove());

    it('when the broker cannot be reached', async () => {
      const down = new AmqpPublisher({
        url: 'amqp://guest:guest@127.0.0.1:1',
        appId: app.id,
        logger: quiet,
        ...fast,
      });
      await expect(down.publish({ eventType: 'a', payload: {} })).rejects.toThrow(
        UnconfirmedPublishError,
      );
      await down.close();
    });

    it('when the exchange does not exist', async () => {
      const nowhere = new AmqpPublisher({ url: vhost.url, appId: app.id, logger: quiet, ...fast });
      const error = await nowhere.publish({ eventType: 'a', payload: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnconfirmedPublishError);
      expect((error as Error).message).toMatch(/2 attempts/);
      await nowhere.close();
    });

    it('when no queue is bound (the broker would drop it)', async () => {
      const connection = await connect(vhost.url);
      const channel = await connection.createChannel();
      await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
      await connection.close();
      const unbound = new AmqpPublisher({ url: vhost.url, appId: app.id, logger: quiet, ...fast });
      await expect(unbound.publish({ eventType: 'a', payload: {} })).rejects.toThrow(/unroutable/);
      await unbound.close();
    });

    it('when the queue refuses it, without a new channel per refused message', async () => {
      const connection = await connect(vhost.url);
      const channel = await connection.createChannel();
      await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
      // Refuses every message, as a queue at its bound with overflow reject-publish does.
      await channel.assertQueue('always-full', {
        arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
      });
      await channel.bindQueue('always-full', EVENTS_EXCHANGE, 'refused.#');
      await connection.close();
      const refused = new AmqpPublisher({
        url: vhost.url,
        appId: app.id,
        logger: quiet,
        ...fast,
        attempts: 1,
      });
      for (let i = 0; i < 30; i++) {
        await expect(refused.publish({ eventType: 'refused.a', payload: { i } })).rejects.toThrow(
          /refused/,
        );
      }
      // The first refusal retired its channel; the next ones, within the same second, did not.
      expect(await vhost.openChannels()).toBeLessThanOrEqual(2);
      await refused.close();
    });
  });
});

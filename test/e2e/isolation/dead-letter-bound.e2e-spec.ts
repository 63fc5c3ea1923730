import { DEAD_LETTER_QUEUE, EVENTS_EXCHANGE, INTAKE_QUEUE } from '@app/contracts';
import { assertTopology } from '@app/messaging';
import { connect } from 'amqplib';
import { eventually } from '../../support/eventually';
import { takeOne } from '../../support/take-one';
import { ADMIN_KEY, TestPlatform } from '../../support/platform';
import { createVhost, type Vhost } from '../../support/rabbit-vhost';
import { WebhookSink } from '../../support/webhook-sink';
import { createEndpoint } from '../pipeline/pipeline-helpers';
import { applyBrokerPolicies } from './isolation-helpers';

/**
 * notify.events.dead has a bound (a policy: max-length, max-length-bytes, overflow
 * reject-publish). What it refuses is recorded in MongoDB and shown to the admin, never dropped
 * silently; and intake goes on, also in a notifier started after the policies were set.
 */
describe('isolation: the dead-letter queue is bounded', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  it('records what the full dead-letter queue refuses, acknowledges it, and goes on', async () => {
    const app = await platform.createApp('garbage');
    // Set on queues the notifier already declared, as an operator does on upgrade.
    await applyBrokerPolicies(platform.amqpUrl, { deadLetterMaxLength: 2 });
    const publishGarbage = (i: number) =>
      platform.publishAmqp(Buffer.from(`not json ${i}`), {
        routingKey: 'order.paid',
        headers: { 'x-app-id': app.id },
        messageId: `garbage-${i}`,
      });
    // notify.events.dead is a quorum queue: it refuses once it holds more than max-length, so
    // three get in. Copies published together before it knows it is full all get in (the
    // notifier dead-letters a batch's copies at once), so it is filled first.
    for (const i of [0, 1, 2]) await publishGarbage(i);
    const full = async () => ((await depth(platform, DEAD_LETTER_QUEUE)) === 3 ? true : undefined);
    await eventually(full, { what: 'three copies in the dead-letter queue' });
    // Once it is full, copies published together are refused alike.
    await Promise.all([publishGarbage(3), publishGarbage(4)]);

    const refused = await eventually(
      async () => {
        const { status, body } = await platform.request(
          'GET',
          '/v1/dead-letters/refused',
          ADMIN_KEY,
        );
        expect(status).toBe(200);
        return body.data.length === 2 ? (body.data as any[]) : undefined;
      },
      { what: 'two refused dead letters to be recorded' },
    );
    expect(refused.map((entry) => entry.messageId).sort()).toEqual(['garbage-3', 'garbage-4']);
    expect(refused[0]).toMatchObject({
      appId: app.id,
      reason: expect.stringMatching(/^the body is not JSON/) as unknown,
      refusal: 'notify.events.dead refused it (nack): the queue is full',
      size: 'not json 4'.length,
      routingKey: 'order.paid',
    });
    // Every one was acknowledged: none waits in intake, three wait in the dead-letter queue.
    await eventually(async () => ((await depth(platform, INTAKE_QUEUE)) === 0 ? true : undefined), {
      what: 'intake to be empty',
    });
    const dead = await platform.drainQueue(DEAD_LETTER_QUEUE);
    expect(dead.map((copy) => copy.content)).toEqual(['not json 0', 'not json 1', 'not json 2']);

    // An app key is not enough to read them.
    const asApp = await platform.request('GET', '/v1/dead-letters/refused', app.apiKey);
    expect(asApp.status).toBe(403);
    const page = await platform.request('GET', '/v1/dead-letters/refused?limit=1', ADMIN_KEY);
    expect(page.body.data).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));

    // A notifier started now (an upgrade) declares the same queues and keeps consuming.
    await platform.stopNotifier(platform.notifiers[0]!);
    await platform.startNotifier();
    await createEndpoint(platform, app.apiKey, { url: sink.url('/after') });
    await platform.publishAmqp(
      { eventType: 'order.paid', payload: { ok: true } },
      { headers: { 'x-app-id': app.id } },
    );
    await eventually(() => (sink.requestsTo('/after').length === 1 ? true : undefined), {
      what: 'a valid message to be delivered by the new notifier',
    });
  });
});

/**
 * The intake policy's delivery limit, on this broker (3.10): a message whose consumers keep dying
 * while they hold it ends in notify.events.dead, marked by the broker's x-death, not x-error.
 */
describe('isolation: intake delivery limit', () => {
  let vhost: Vhost;
  beforeAll(async () => {
    vhost = await createVhost();
  });
  afterAll(async () => {
    await vhost?.remove();
  });

  it('dead-letters a message returned by crashed consumers more than the limit, with x-death', async () => {
    const connection = await connect(vhost.url);
    try {
      await assertTopology(connection);
      await applyBrokerPolicies(vhost.url, { intakeDeliveryLimit: 3 });
      const publisher = await connection.createConfirmChannel();
      publisher.publish(EVENTS_EXCHANGE, 'order.paid', Buffer.from('{"crashes":"everyone"}'), {
        persistent: true,
        headers: { 'x-app-id': 'app_x' },
      });
      await publisher.waitForConfirms();

      let deliveries = 0;
      for (;;) {
        // A consumer that dies holding the message: its channel closes without an ack.
        const consumer = await connection.createChannel();
        const message = await takeOne(consumer, INTAKE_QUEUE);
        await consumer.close();
        if (message === false) break;
        deliveries += 1;
        expect(deliveries).toBeLessThanOrEqual(4);
      }
      expect(deliveries).toBe(4);
      const dead = await eventually(async () => {
        const message = await publisher.get(DEAD_LETTER_QUEUE, { noAck: true });
        return message === false ? undefined : message;
      });
      expect(dead.content.toString()).toBe('{"crashes":"everyone"}');
      expect(dead.properties.headers).toMatchObject({
        'x-app-id': 'app_x',
        'x-first-death-reason': 'delivery_limit',
        'x-death': [expect.objectContaining({ reason: 'delivery_limit', queue: INTAKE_QUEUE })],
      });
      expect(dead.properties.headers?.['x-error']).toBeUndefined();
    } finally {
      await connection.close();
    }
  });
});

async function depth(platform: TestPlatform, queue: string): Promise<number> {
  const connection = await connect(platform.amqpUrl);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}

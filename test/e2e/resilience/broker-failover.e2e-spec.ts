import { AmqpPublisher, UnconfirmedPublishError } from '@app/client';
import { PrivateRabbit } from '../../chaos/private-rabbit';
import { eventually } from '../../support/eventually';
import { freePort } from '../../support/free-port';
import { TestPlatform } from '../../support/platform';
import { createVhost, type Vhost } from '../../support/rabbit-vhost';
import { WebhookSink } from '../../support/webhook-sink';

/** Not the chaos suite's node: the two suites may run at the same time. */
const FAILOVER_NODE = {
  node: 'notify-failover@localhost',
  port: 5690,
  dir: '/tmp/notify-failover-rabbit',
};

/**
 * AMQP_URL lists two brokers: a private node first, the shared one second (two independent
 * brokers, each with the vhost, stand in for two nodes of a cluster). The API's publisher, the
 * notifier's consumer and the SDK's publisher use the first, move to the second when the first
 * dies, and back when the second goes away; HTTP answers 503 in between, never 500.
 */
describe('broker failover (AMQP_URL lists several brokers)', () => {
  const sink = new WebhookSink();
  let first: PrivateRabbit;
  let second: Vhost;
  let platform: TestPlatform;
  let apiKey: string;
  let appId: string;

  beforeAll(async () => {
    await sink.start();
    first = await PrivateRabbit.start(() => undefined, FAILOVER_NODE);
    second = await createVhost(undefined, first.vhost);
    platform = await TestPlatform.start({ env: { AMQP_URL: `${first.url},${second.url}` } });
    ({ id: appId, apiKey } = await platform.createApp());
    const endpoint = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/failover'),
    });
    expect(endpoint.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await second?.remove();
    await first?.close();
    await sink.stop();
  });

  /** Publishes over HTTP until answered 202 (503 meanwhile, nothing else), then waits for it. */
  async function publishedAndDelivered(step: string): Promise<void> {
    await eventually(
      async () => {
        const response = await platform.request('POST', '/v1/messages', apiKey, {
          eventType: 'order.paid',
          payload: { step },
        });
        expect([202, 503]).toContain(response.status);
        return response.status === 202 ? true : undefined;
      },
      { what: `the API to accept "${step}"`, intervalMs: 100, timeoutMs: 30_000 },
    );
    await delivered(step);
  }

  async function delivered(step: string): Promise<void> {
    await eventually(
      () =>
        sink.requestsTo('/failover').some((request) => JSON.parse(request.body).data.step === step)
          ? true
          : undefined,
      { what: `"${step}" to be delivered`, timeoutMs: 30_000 },
    );
  }

  it('uses the first broker, fails over to the second when it dies, and comes back', async () => {
    await publishedAndDelivered('both up');
    // The API and the notifier: on the first broker, none on the second.
    expect(await first.connectionCount()).toBeGreaterThanOrEqual(2);

    await first.stopApp();
    await publishedAndDelivered('first dead');

    // The SDK's publisher, given both, is confirmed by the second one.
    const sdk = new AmqpPublisher({
      url: [first.url, second.url],
      appId,
      attempts: 3,
      logger: { warn: () => undefined },
    });
    try {
      await sdk.publish({ eventType: 'order.paid', payload: { step: 'sdk on second' } });
    } finally {
      await sdk.close();
    }
    await delivered('sdk on second');

    await first.startApp();
    // The second goes away: everybody reconnects, to the first again.
    expect(await second.dropConnections()).toBeGreaterThanOrEqual(2);
    await publishedAndDelivered('first back');
    expect(await first.connectionCount()).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('rejects an SDK publish no broker of its list confirmed', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const sdk = new AmqpPublisher({
      url: `amqp://guest:guest@127.0.0.1:${a},amqp://guest:guest@127.0.0.1:${b}`,
      appId,
      attempts: 2,
      initialDelayMs: 10,
      logger: { warn: () => undefined },
    });
    await expect(sdk.publish({ eventType: 'order.paid', payload: {} })).rejects.toBeInstanceOf(
      UnconfirmedPublishError,
    );
    await sdk.close();
  });

  it('refuses a list with a bad entry, saying which', () => {
    expect(() => new AmqpPublisher({ url: `${first.url},http://x`, appId })).toThrow(
      'AmqpPublisher url: entry 2: must start with amqp: or amqps:',
    );
  });
});

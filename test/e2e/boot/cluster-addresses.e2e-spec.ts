import { ConnectionString } from 'mongodb-connection-string-url';
import { freePort } from '../../support/free-port';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { whenReady } from '../../support/ready';
import { createVhost, type Vhost } from '../../support/rabbit-vhost';
import { WebhookSink } from '../../support/webhook-sink';

/**
 * Booted as a user of clusters would: MONGODB_URI a replica set's seed list (one seed dead, as a
 * member may be) and AMQP_URL a list of brokers whose first does not answer. The platform starts,
 * is ready, and carries a message through.
 */
describe('boot on a seed list and a broker list', () => {
  const sink = new WebhookSink();
  let vhost: Vhost;
  let platform: TestPlatform;

  beforeAll(async () => {
    await sink.start();
    vhost = await createVhost();
    const [deadMongo, deadBroker] = [await freePort(), await freePort()];
    const seeds = new ConnectionString(process.env.MONGODB_URI!);
    seeds.hosts = [`127.0.0.1:${deadMongo}`, ...seeds.hosts];
    platform = await TestPlatform.start({
      mongoUri: seeds.toString(),
      env: { AMQP_URL: `amqp://guest:guest@127.0.0.1:${deadBroker}/${vhost.name},${vhost.url}` },
    });
    expect(platform.mongoUri).toContain(`127.0.0.1:${deadMongo},`);
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await vhost?.remove();
    await sink.stop();
  });

  it('is ready and delivers a message published over HTTP', async () => {
    await whenReady(platform.baseUrl, 'the API to answer ready');
    const app = await platform.createApp();
    const created = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/seeds'),
    });
    expect(created.status).toBe(201);
    const published = await platform.request('POST', '/v1/messages', app.apiKey, {
      eventType: 'order.paid',
      payload: { ok: true },
    });
    expect(published.status).toBe(202);
    await eventually(() => (sink.requestsTo('/seeds').length === 1 ? true : undefined), {
      what: 'the message to be delivered',
    });
  });
});

import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';

/**
 * The broker drops every connection (as a restart does): the API's publisher and the notifier's
 * consumer come back by themselves, and messages published on both paths afterwards arrive.
 */
describe('broker connection loss', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
    const app = await platform.createApp();
    apiKey = app.apiKey;
    const endpoint = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/after-restart'),
    });
    expect(endpoint.status).toBe(201);
  });

  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  it('reconnects publishers and consumers after the broker closes their connections', async () => {
    const dropped = await platform.dropBrokerConnections();
    expect(dropped).toBeGreaterThanOrEqual(2);

    // While reconnecting the API answers 503, never 500; then 202 again.
    const accepted = await eventually(
      async () => {
        const response = await platform.request('POST', '/v1/messages', apiKey, {
          eventType: 'order.paid',
          payload: { path: 'http' },
        });
        expect([202, 503]).toContain(response.status);
        return response.status === 202 ? (response.body as { id: string }) : undefined;
      },
      { what: 'the API to publish again', intervalMs: 100 },
    );

    const appId = (await platform.db.collection('apps').findOne({}))!._id as unknown as string;
    await platform.publishAmqp(
      { eventType: 'order.paid', payload: { path: 'amqp' } },
      { headers: { 'x-app-id': appId } },
    );

    await eventually(
      () => {
        const paths = sink.requestsTo('/after-restart').map((r) => JSON.parse(r.body).data.path);
        return paths.includes('http') && paths.includes('amqp') ? true : undefined;
      },
      { what: 'both messages to arrive after the reconnect', timeoutMs: 30_000 },
    );
    // The outcome is written after the attempt (in the outcome writer's next batch).
    await eventually(
      async () => {
        const stored = await platform.request('GET', `/v1/messages/${accepted.id}`, apiKey);
        return stored.body.status === 'delivered' ? true : undefined;
      },
      { what: 'the message to be recorded delivered' },
    );
    const health = await platform.request('GET', '/health');
    expect(health.body).toEqual({ status: 'ok', checks: { mongodb: 'up', rabbitmq: 'up' } });
  });
});

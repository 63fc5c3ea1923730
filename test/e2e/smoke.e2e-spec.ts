import { TestPlatform } from '../support/platform';
import { WebhookSink } from '../support/webhook-sink';
import { eventually } from '../support/eventually';

describe('smoke: HTTP publish to a webhook', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  it('delivers a message published over HTTP', async () => {
    const app = await platform.createApp();
    const endpoint = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/smoke'),
    });
    expect(endpoint.status).toBe(201);
    const published = await platform.request('POST', '/v1/messages', app.apiKey, {
      eventType: 'order.paid',
      payload: { orderId: 1 },
    });
    expect(published.status).toBe(202);
    const message = await eventually(async () => {
      const { body } = await platform.request(
        'GET',
        `/v1/messages/${published.body.id}`,
        app.apiKey,
      );
      return body.status === 'delivered' ? body : undefined;
    });
    expect(message.deliveries).toHaveLength(1);
    expect(sink.requestsTo('/smoke')).toHaveLength(1);
  });
});

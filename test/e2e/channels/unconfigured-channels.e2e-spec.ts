import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';

/** Neither SMTP_URL nor SMS_GATEWAY_URL set: the defaults of a fresh install. */
describe('email and sms while unconfigured', () => {
  let platform: TestPlatform;
  let apiKey: string;

  beforeAll(async () => {
    platform = await TestPlatform.start();
    ({ apiKey } = await platform.createApp());
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it.each([
    [
      'email',
      'ops@shop.test',
      'email is not configured: set SMTP_URL (e.g. smtp://user:pass@mail.example.com:587)',
    ],
    ['sms', '+8613800000000', 'SMS is not configured: set SMS_GATEWAY_URL (SMS_PROVIDER=http)'],
  ])(
    'creates a %s endpoint, and its deliveries fail at once saying why',
    async (channel, to, reason) => {
      const endpoint = await platform.request('POST', '/v1/endpoints', apiKey, {
        channel,
        to,
        retrySchedule: ['200ms', '400ms'],
      });
      expect(endpoint.status).toBe(201);
      const published = await platform.request('POST', '/v1/messages', apiKey, {
        eventType: 'order.paid',
        payload: { text: 'hi' },
        endpointIds: [endpoint.body.id],
      });
      expect(published.status).toBe(202);
      const message = await eventually(async () => {
        const { body } = await platform.request('GET', `/v1/messages/${published.body.id}`, apiKey);
        return body?.status === 'failed' ? body : undefined;
      });
      expect(message.deliveries).toMatchObject([
        { channel, status: 'failed', attemptCount: 1, lastError: reason, nextAttemptAt: null },
      ]);
    },
  );
});

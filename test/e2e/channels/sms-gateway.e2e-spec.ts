import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink, type SinkResponse } from '../../support/webhook-sink';

const SCHEDULE = ['200ms', '400ms'];

/** The generic gateway: `POST SMS_GATEWAY_URL` `{ "to", "text" }`, here a real local HTTP server. */
describe('sms channel through the generic HTTP gateway', () => {
  const gateway = new WebhookSink();
  /** How the gateway answers the n-th request for a number (default 200). */
  const answers = new Map<string, (n: number) => SinkResponse>();
  let platform: TestPlatform;
  let apiKey: string;

  const requestsFor = (to: string) =>
    gateway.requestsTo('/sms').filter((request) => JSON.parse(request.body).to === to);

  beforeAll(async () => {
    await gateway.start();
    gateway.on('/sms', (request) => {
      const to = String(JSON.parse(request.body).to);
      return answers.get(to)?.(requestsFor(to).length) ?? { status: 200, body: '{"id":"g-1"}' };
    });
    platform = await TestPlatform.start({
      env: { SMS_PROVIDER: 'http', SMS_GATEWAY_URL: gateway.url('/sms') },
    });
    ({ apiKey } = await platform.createApp());
  });
  afterAll(async () => {
    await platform?.stop();
    await gateway.stop();
  });

  async function smsEndpoint(to: string, extra: Record<string, unknown> = {}): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'sms',
      to,
      retrySchedule: SCHEDULE,
      ...extra,
    });
    expect(status).toBe(201);
    return body.id;
  }

  async function publishAndSettle(endpointId: string, payload: Record<string, unknown>) {
    const published = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'order.shipped',
      payload,
      endpointIds: [endpointId],
    });
    expect(published.status).toBe(202);
    const id: string = published.body.id;
    const message = await eventually(
      async () => {
        const { body } = await platform.request('GET', `/v1/messages/${id}`, apiKey);
        return ['delivered', 'failed'].includes(body?.status) ? body : undefined;
      },
      { what: `message ${id} to settle` },
    );
    const attempts = await platform.request('GET', `/v1/messages/${id}/attempts`, apiKey);
    return { message, attempts: attempts.body.data as any[] };
  }

  it('posts { to, text } rendered from template.text, unescaped', async () => {
    const to = '+8613800000001';
    const endpointId = await smsEndpoint(to, {
      template: { text: 'Order {{payload.order.id}} shipped to {{payload.name}}' },
    });
    const { message, attempts } = await publishAndSettle(endpointId, {
      order: { id: 77 },
      name: 'Tom & <Jerry>',
    });
    expect(message.status).toBe('delivered');
    expect(message.deliveries).toMatchObject([{ channel: 'sms', status: 'succeeded' }]);
    const [request, ...more] = requestsFor(to);
    expect(more).toHaveLength(0);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({
      to,
      text: 'Order 77 shipped to Tom & <Jerry>',
    });
    expect(attempts).toMatchObject([{ outcome: 'succeeded', statusCode: 200 }]);
  });

  it('takes payload.text without a template', async () => {
    const to = '+8613800000002';
    const endpointId = await smsEndpoint(to);
    const { message } = await publishAndSettle(endpointId, { text: 'Your code is 1234' });
    expect(message.status).toBe('delivered');
    expect(JSON.parse(requestsFor(to)[0]!.body)).toEqual({ to, text: 'Your code is 1234' });
  });

  it('fails at once, sending nothing, when there is no text', async () => {
    const to = '+8613800000003';
    const endpointId = await smsEndpoint(to);
    const { message, attempts } = await publishAndSettle(endpointId, { body: 'not text' });
    expect(message.deliveries[0]).toMatchObject({ status: 'failed', attemptCount: 1 });
    expect(message.deliveries[0].lastError).toMatch(
      /no template.text and the payload has no "text"/,
    );
    expect(attempts).toHaveLength(1);
    expect(requestsFor(to)).toHaveLength(0);
  });

  it('fails a 4xx (an invalid number) at once', async () => {
    const to = '+8613800000004';
    answers.set(to, () => ({ status: 400, body: 'invalid destination number' }));
    const endpointId = await smsEndpoint(to);
    const { message, attempts } = await publishAndSettle(endpointId, { text: 'hi' });
    expect(message.status).toBe('failed');
    expect(message.deliveries[0]).toMatchObject({
      status: 'failed',
      attemptCount: 1,
      lastError: 'SMS gateway answered HTTP 400: invalid destination number',
    });
    expect(attempts).toMatchObject([
      { outcome: 'failed', statusCode: 400, responseBody: 'invalid destination number' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(requestsFor(to)).toHaveLength(1);
  });

  it('retries a 5xx and a 429 on the schedule until the gateway accepts', async () => {
    const to = '+8613800000005';
    answers.set(to, (n) =>
      n === 1 ? { status: 503, body: 'busy' } : n === 2 ? { status: 429 } : { status: 202 },
    );
    const endpointId = await smsEndpoint(to);
    const { message, attempts } = await publishAndSettle(endpointId, { text: 'hi' });
    expect(message.status).toBe('delivered');
    expect(message.deliveries[0]).toMatchObject({ status: 'succeeded', attemptCount: 3 });
    expect(attempts.map((a) => [a.outcome, a.statusCode])).toEqual([
      ['failed', 503],
      ['failed', 429],
      ['succeeded', 202],
    ]);
  });

  it('gives up as failed when the 5xx outlasts the schedule', async () => {
    const to = '+8613800000006';
    answers.set(to, () => ({ status: 500, body: 'down' }));
    const endpointId = await smsEndpoint(to);
    const { message } = await publishAndSettle(endpointId, { text: 'hi' });
    expect(message.deliveries[0]).toMatchObject({
      status: 'failed',
      attemptCount: 3,
      lastError: 'SMS gateway answered HTTP 500: down',
    });
    expect(requestsFor(to)).toHaveLength(3);
  });

  it.each(['13800000000', '+0123456789', '+86 138 0000 0000', 'tel:+8613800000000'])(
    'answers 400 naming "to" for the non-E.164 number %s',
    async (to) => {
      const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
        channel: 'sms',
        to,
      });
      expect(status).toBe(400);
      expect(body.error.details).toEqual([
        { field: 'to', message: 'must be an E.164 phone number such as +8613800000000' },
      ]);
    },
  );

  it('answers 400 naming "to" when it is missing', async () => {
    const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'sms',
    });
    expect(status).toBe(400);
    expect(body.error.details).toEqual([
      { field: 'to', message: 'is required for the sms channel' },
    ]);
  });
});

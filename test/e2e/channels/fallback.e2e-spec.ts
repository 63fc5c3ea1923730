import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { SmtpSink } from '../../support/smtp-sink';
import { WebhookSink } from '../../support/webhook-sink';

const SCHEDULE = ['200ms', '400ms'];

describe('fallback endpoints', () => {
  const smtp = new SmtpSink();
  const sink = new WebhookSink();
  let platform: TestPlatform;
  let apiKey: string;

  beforeAll(async () => {
    await smtp.start();
    await sink.start();
    sink.on('/down', () => ({ status: 500, body: 'down' }));
    sink.on('/gone', () => ({ status: 410 }));
    platform = await TestPlatform.start({ env: { SMTP_URL: smtp.url() } });
    ({ apiKey } = await platform.createApp());
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
    await smtp.stop();
  });

  async function create(body: Record<string, unknown>, key = apiKey) {
    return platform.request('POST', '/v1/endpoints', key, { retrySchedule: SCHEDULE, ...body });
  }

  async function created(body: Record<string, unknown>): Promise<string> {
    const { status, body: endpoint } = await create(body);
    expect(status).toBe(201);
    return endpoint.id;
  }

  async function publishTo(endpointId: string, payload: Record<string, unknown>) {
    const { status, body } = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'order.paid',
      payload,
      endpointIds: [endpointId],
    });
    expect(status).toBe(202);
    return body.id as string;
  }

  async function settled(messageId: string) {
    return eventually(
      async () => {
        const { body } = await platform.request('GET', `/v1/messages/${messageId}`, apiKey);
        return ['delivered', 'failed'].includes(body?.status) ? body : undefined;
      },
      { what: `message ${messageId} to settle` },
    );
  }

  it('mails the fallback once the webhook has exhausted its schedule', async () => {
    const emailId = await created({
      channel: 'email',
      to: 'oncall@shop.test',
      eventTypes: ['never.matches'],
      template: { subject: 'Undelivered {{eventType}}', text: 'Order {{payload.orderId}}' },
    });
    const webhookId = await created({
      channel: 'webhook',
      url: sink.url('/down'),
      fallbackEndpointId: emailId,
    });
    const endpoint = await platform.request('GET', `/v1/endpoints/${webhookId}`, apiKey);
    expect(endpoint.body.fallbackEndpointId).toBe(emailId);

    const messageId = await publishTo(webhookId, { orderId: 31 });
    const [mail] = await eventually(
      () => {
        const mails = smtp.mailsTo('oncall@shop.test');
        return mails.length > 0 ? mails : undefined;
      },
      { what: 'the fallback mail' },
    );
    expect(mail!.parsed.subject).toBe('Undelivered order.paid');
    expect(mail!.parsed.text?.trim()).toBe('Order 31');
    expect(sink.requestsTo('/down')).toHaveLength(3);

    const message = await eventually(async () => {
      const { body } = await platform.request('GET', `/v1/messages/${messageId}`, apiKey);
      const done = body.status !== 'pending' && body.deliveries?.length === 2;
      return done ? body : undefined;
    });
    const webhookDelivery = message.deliveries.find((d: any) => d.endpointId === webhookId);
    expect(message.deliveries).toHaveLength(2);
    expect(webhookDelivery).toMatchObject({
      channel: 'webhook',
      status: 'failed',
      attemptCount: 3,
      lastError: 'HTTP 500',
      fallbackFor: null,
    });
    expect(message.deliveries.find((d: any) => d.endpointId === emailId)).toMatchObject({
      channel: 'email',
      status: 'succeeded',
      attemptCount: 1,
      fallbackFor: webhookDelivery.id,
    });
    // The contract's message status: none pending, one failed.
    expect(message.status).toBe('failed');

    const listed = await platform.request('GET', `/v1/messages?endpointId=${emailId}`, apiKey);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((m: any) => m.id)).toEqual([messageId]);

    const attempts = await platform.request('GET', `/v1/messages/${messageId}/attempts`, apiKey);
    expect(attempts.body.data.map((a: any) => [a.endpointId, a.outcome])).toEqual([
      [webhookId, 'failed'],
      [webhookId, 'failed'],
      [webhookId, 'failed'],
      [emailId, 'succeeded'],
    ]);
  });

  it('falls back at once after a permanent failure (410 Gone)', async () => {
    const emailId = await created({
      channel: 'email',
      to: 'gone@shop.test',
      eventTypes: ['never.matches'],
    });
    const webhookId = await created({
      channel: 'webhook',
      url: sink.url('/gone'),
      fallbackEndpointId: emailId,
    });
    const messageId = await publishTo(webhookId, { orderId: 32 });
    await eventually(() => (smtp.mailsTo('gone@shop.test').length === 1 ? true : undefined), {
      what: 'the fallback mail',
    });
    const message = await settled(messageId);
    expect(message.deliveries.find((d: any) => d.endpointId === webhookId)).toMatchObject({
      status: 'failed',
      attemptCount: 1,
    });
  });

  it('ends a cycle: A -> B -> A delivers once to each, then the message is failed', async () => {
    const a = await created({ channel: 'webhook', url: sink.url('/down'), retrySchedule: [] });
    const b = await created({
      channel: 'webhook',
      url: sink.url('/down'),
      retrySchedule: [],
      fallbackEndpointId: a,
    });
    const patched = await platform.request('PATCH', `/v1/endpoints/${a}`, apiKey, {
      fallbackEndpointId: b,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.fallbackEndpointId).toBe(b);

    const messageId = await publishTo(a, { cycle: true });
    const message = await settled(messageId);
    expect(message.deliveries.map((d: any) => [d.endpointId, d.status, d.attemptCount])).toEqual([
      [a, 'failed', 1],
      [b, 'failed', 1],
    ]);
    // Nothing more is created afterwards.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const later = await platform.request('GET', `/v1/messages/${messageId}`, apiKey);
    expect(later.body.deliveries).toHaveLength(2);
  });

  it('does not fall back when the delivery succeeds', async () => {
    const emailId = await created({
      channel: 'email',
      to: 'unused@shop.test',
      eventTypes: ['never.matches'],
    });
    const webhookId = await created({
      channel: 'webhook',
      url: sink.url('/fine'),
      fallbackEndpointId: emailId,
    });
    const message = await settled(await publishTo(webhookId, { ok: true }));
    expect(message.status).toBe('delivered');
    expect(message.deliveries).toHaveLength(1);
    expect(smtp.mailsTo('unused@shop.test')).toHaveLength(0);
  });

  describe('validation', () => {
    it('answers 400 naming fallbackEndpointId when it does not exist', async () => {
      const { status, body } = await create({
        channel: 'webhook',
        url: sink.url('/x'),
        fallbackEndpointId: 'ep_missing',
      });
      expect(status).toBe(400);
      expect(body.error.details).toEqual([
        { field: 'fallbackEndpointId', message: 'there is no endpoint ep_missing in this app' },
      ]);
    });

    it("answers 400 for another app's endpoint, revealing nothing", async () => {
      const other = await platform.createApp('other');
      const theirs = await create({ channel: 'webhook', url: sink.url('/x') }, other.apiKey);
      expect(theirs.status).toBe(201);
      const { status, body } = await create({
        channel: 'webhook',
        url: sink.url('/x'),
        fallbackEndpointId: theirs.body.id,
      });
      expect(status).toBe(400);
      expect(body.error.details).toEqual([
        {
          field: 'fallbackEndpointId',
          message: `there is no endpoint ${theirs.body.id} in this app`,
        },
      ]);
    });

    it('answers 400 when an endpoint names itself', async () => {
      const id = await created({ channel: 'webhook', url: sink.url('/x') });
      const { status, body } = await platform.request('PATCH', `/v1/endpoints/${id}`, apiKey, {
        fallbackEndpointId: id,
      });
      expect(status).toBe(400);
      expect(body.error.details).toEqual([
        {
          field: 'fallbackEndpointId',
          message: 'must be another endpoint: an endpoint cannot be its own fallback',
        },
      ]);
    });

    it('answers 400 for a fallbackEndpointId that is not a string', async () => {
      const { status, body } = await create({
        channel: 'webhook',
        url: sink.url('/x'),
        fallbackEndpointId: 42,
      });
      expect(status).toBe(400);
      expect(body.error.details.map((d: any) => d.field)).toEqual(['fallbackEndpointId']);
    });

    it('clears the fallback with null', async () => {
      const target = await created({ channel: 'webhook', url: sink.url('/x') });
      const id = await created({
        channel: 'webhook',
        url: sink.url('/x'),
        fallbackEndpointId: target,
      });
      const { status, body } = await platform.request('PATCH', `/v1/endpoints/${id}`, apiKey, {
        fallbackEndpointId: null,
      });
      expect(status).toBe(200);
      expect(body.fallbackEndpointId).toBeNull();
    });
  });
});

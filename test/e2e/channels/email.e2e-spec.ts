import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { SmtpSink } from '../../support/smtp-sink';

const FROM = 'Shop Alerts <alerts@shop.test>';
const SCHEDULE = ['200ms', '400ms'];

describe('email channel over a real SMTP server', () => {
  const smtp = new SmtpSink();
  let platform: TestPlatform;
  let apiKey: string;

  beforeAll(async () => {
    await smtp.start();
    platform = await TestPlatform.start({ env: { SMTP_URL: smtp.url(), SMTP_FROM: FROM } });
    ({ apiKey } = await platform.createApp());
  });
  afterAll(async () => {
    await platform?.stop();
    await smtp.stop();
  });

  async function emailEndpoint(to: string, extra: Record<string, unknown> = {}): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'email',
      to,
      retrySchedule: SCHEDULE,
      ...extra,
    });
    expect(status).toBe(201);
    return body.id;
  }

  async function publish(endpointId: string, payload: Record<string, unknown>): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'order.paid',
      payload,
      endpointIds: [endpointId],
    });
    expect(status).toBe(202);
    return body.id;
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

  async function attempts(messageId: string) {
    const { status, body } = await platform.request(
      'GET',
      `/v1/messages/${messageId}/attempts`,
      apiKey,
    );
    expect(status).toBe(200);
    return body.data;
  }

  it('renders the template into the mail, HTML-escaping placeholders only in the html part', async () => {
    const endpointId = await emailEndpoint('buyer@shop.test', {
      template: {
        subject: 'Order {{payload.order.id}} paid by {{payload.customer.name}}',
        text: 'Hello {{payload.customer.name}}, total {{payload.order.total}}.',
        html: '<p>Hello {{payload.customer.name}}</p><p>{{payload.order.items.0.sku}}</p>',
      },
    });
    const messageId = await publish(endpointId, {
      order: { id: 1042, total: '19.90', items: [{ sku: 'TEA<1>' }] },
      customer: { name: 'Tom & <Jerry>' },
    });

    const message = await settled(messageId);
    expect(message.status).toBe('delivered');
    expect(message.deliveries).toMatchObject([
      { endpointId, channel: 'email', status: 'succeeded', attemptCount: 1, lastError: null },
    ]);

    const [mail, ...others] = smtp.mailsTo('buyer@shop.test');
    expect(others).toHaveLength(0);
    expect(mail!.from).toBe('alerts@shop.test');
    expect(mail!.to).toEqual(['buyer@shop.test']);
    expect(mail!.parsed.subject).toBe('Order 1042 paid by Tom & <Jerry>');
    expect(mail!.parsed.from?.value).toEqual([
      { name: 'Shop Alerts', address: 'alerts@shop.test' },
    ]);
    expect(mail!.parsed.text?.trim()).toBe('Hello Tom & <Jerry>, total 19.90.');
    expect(mail!.parsed.html).toBe('<p>Hello Tom &amp; &lt;Jerry&gt;</p><p>TEA&lt;1&gt;</p>');
    expect(mail!.parsed.headers.get('x-notify-message-id')).toBe(messageId);

    const [attempt] = await attempts(messageId);
    expect(attempt).toMatchObject({ attempt: 1, outcome: 'succeeded', statusCode: 250 });
  });

  it('without a template, takes the parts from the payload', async () => {
    const endpointId = await emailEndpoint('payload@shop.test');
    const messageId = await publish(endpointId, {
      subject: 'Your receipt',
      text: 'Thanks {{not rendered}}',
      html: '<b>Thanks</b>',
    });
    expect((await settled(messageId)).status).toBe('delivered');
    const [mail] = smtp.mailsTo('payload@shop.test');
    expect(mail!.parsed.subject).toBe('Your receipt');
    expect(mail!.parsed.text?.trim()).toBe('Thanks {{not rendered}}');
    expect(mail!.parsed.html).toBe('<b>Thanks</b>');
  });

  it('without either, sends the event type as subject and the pretty-printed payload as text', async () => {
    const endpointId = await emailEndpoint('plain@shop.test');
    const payload = { orderId: 7, lines: [{ sku: 'a', qty: 2 }] };
    const messageId = await publish(endpointId, payload);
    expect((await settled(messageId)).status).toBe('delivered');
    const [mail] = smtp.mailsTo('plain@shop.test');
    expect(mail!.parsed.subject).toBe('order.paid');
    expect(mail!.parsed.text?.trim()).toBe(JSON.stringify(payload, null, 2));
    expect(mail!.parsed.html).toBe(false);
  });

  it('retries a 451 on the schedule and delivers once the server accepts', async () => {
    smtp.on('greylisted@shop.test', (n) =>
      n <= 2 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined,
    );
    const endpointId = await emailEndpoint('greylisted@shop.test');
    const messageId = await publish(endpointId, { text: 'eventually' });

    const message = await settled(messageId);
    expect(message.status).toBe('delivered');
    expect(message.deliveries[0]).toMatchObject({
      status: 'succeeded',
      attemptCount: 3,
      lastError: null,
    });
    expect(smtp.rcptCount('greylisted@shop.test')).toBe(3);
    expect(smtp.mailsTo('greylisted@shop.test')).toHaveLength(1);

    const log = await attempts(messageId);
    expect(log.map((a: any) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, 'failed', 451],
      [2, 'failed', 451],
      [3, 'succeeded', 250],
    ]);
    expect(log[0].error).toContain('451 4.7.1 Greylisted, try again later');
    // The schedule is 200ms then 400ms, +-10% jitter.
    const gap = (i: number) => Date.parse(log[i].startedAt) - Date.parse(log[i - 1].startedAt);
    expect(gap(1)).toBeGreaterThanOrEqual(180);
    expect(gap(2)).toBeGreaterThanOrEqual(360);
  });

  it('fails a 550 at once, keeping the SMTP reply as lastError', async () => {
    smtp.on('nobody@shop.test', () => ({ code: 550, message: '5.1.1 No such user here' }));
    const endpointId = await emailEndpoint('nobody@shop.test');
    const messageId = await publish(endpointId, { text: 'lost' });

    const message = await settled(messageId);
    expect(message.status).toBe('failed');
    expect(message.deliveries[0]).toMatchObject({
      status: 'failed',
      attemptCount: 1,
      nextAttemptAt: null,
    });
    expect(message.deliveries[0].lastError).toContain('550 5.1.1 No such user here');

    const log = await attempts(messageId);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ outcome: 'failed', statusCode: 550 });
    // Nothing further is tried: wait past the whole schedule and look again.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(smtp.rcptCount('nobody@shop.test')).toBe(1);
    expect(smtp.mailsTo('nobody@shop.test')).toHaveLength(0);
  });

  it('fails permanently, naming the template, when a stored template cannot render', async () => {
    // Templates are checked when saved; one stored before that check still fails clearly.
    const endpointId = await emailEndpoint('broken@shop.test');
    await platform.editEndpoint(endpointId, { $set: { template: { subject: 'Hi {{payload' } } });
    const messageId = await publish(endpointId, { text: 'x' });
    const message = await settled(messageId);
    expect(message.deliveries[0]).toMatchObject({ status: 'failed', attemptCount: 1 });
    expect(message.deliveries[0].lastError).toMatch(/^the subject template cannot be rendered/);
  });

  describe('creating email endpoints', () => {
    it('answers 400 naming "to" when it is not an email address', async () => {
      const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
        channel: 'email',
        to: 'not-an-address',
      });
      expect(status).toBe(400);
      expect(body.error.details).toEqual([{ field: 'to', message: 'must be an email address' }]);
    });

    it('answers 400 naming each template that Mustache cannot parse', async () => {
      const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
        channel: 'email',
        to: 'ok@shop.test',
        template: { subject: 'Order {{payload.id', text: 'fine {{payload.id}}', html: '{{#a}}' },
      });
      expect(status).toBe(400);
      expect(body.error.details.map((d: any) => d.field)).toEqual([
        'template.subject',
        'template.html',
      ]);
      expect(body.error.details[0].message).toMatch(/^is not a valid Mustache template: /);
    });
  });
});

import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink, type SinkResponse } from '../../support/webhook-sink';

const ACCOUNT_SID = `AC${'a1b2c3d4e5f60718'.repeat(2)}`;
const AUTH_TOKEN = 'twilio-test-auth-token';
const FROM = '+15005550006';
const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
const SCHEDULE = ['200ms', '400ms'];

/** Answers the way Twilio documents: 201 with the Message resource, or a JSON error body. */
function created(to: string, body: string): SinkResponse {
  return {
    status: 201,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued', to, body }),
  };
}

function twilioError(status: number, code: number, message: string): SinkResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    }),
  };
}

/** Twilio's Messages API, stood in for by a real local HTTP server (TWILIO_API_URL). */
describe('sms channel through Twilio', () => {
  const twilio = new WebhookSink();
  const answers = new Map<string, (n: number) => SinkResponse>();
  let platform: TestPlatform;
  let apiKey: string;

  const form = (body: string) => Object.fromEntries(new URLSearchParams(body));
  const requestsFor = (to: string) =>
    twilio.requestsTo(MESSAGES_PATH).filter((request) => form(request.body).To === to);

  beforeAll(async () => {
    await twilio.start();
    twilio.on(MESSAGES_PATH, (request) => {
      const { To: to = '', Body: body = '' } = form(request.body);
      return answers.get(to)?.(requestsFor(to).length) ?? created(to, body);
    });
    platform = await TestPlatform.start({
      env: {
        SMS_PROVIDER: 'twilio',
        TWILIO_API_URL: twilio.url(''),
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        TWILIO_FROM: FROM,
      },
    });
    ({ apiKey } = await platform.createApp());
  });
  afterAll(async () => {
    await platform?.stop();
    await twilio.stop();
  });

  async function sendTo(to: string, payload: Record<string, unknown>) {
    const endpoint = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'sms',
      to,
      retrySchedule: SCHEDULE,
    });
    expect(endpoint.status).toBe(201);
    const published = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'otp.requested',
      payload,
      endpointIds: [endpoint.body.id],
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

  it('creates a Message: form-encoded To, From, Body with basic auth', async () => {
    const to = '+4915112345671';
    const { message, attempts } = await sendTo(to, { text: 'Your code: 4711 & more' });
    expect(message.status).toBe('delivered');

    const [request, ...more] = requestsFor(to);
    expect(more).toHaveLength(0);
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const expectedAuth = Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64');
    expect(request!.headers.authorization).toBe(`Basic ${expectedAuth}`);
    expect(form(request!.body)).toEqual({ To: to, From: FROM, Body: 'Your code: 4711 & more' });
    expect(attempts).toMatchObject([{ outcome: 'succeeded', statusCode: 201 }]);
    expect(attempts[0].responseBody).toContain('SM0123456789abcdef0123456789abcdef');
  });

  it("fails an invalid number (400, error 21211) at once with Twilio's reason", async () => {
    const to = '+4915112345672';
    answers.set(to, () =>
      twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`),
    );
    const { message, attempts } = await sendTo(to, { text: 'hi' });
    expect(message.status).toBe('failed');
    expect(message.deliveries[0]).toMatchObject({ status: 'failed', attemptCount: 1 });
    expect(message.deliveries[0].lastError).toBe(
      `Twilio answered HTTP 400 (error 21211): The 'To' number ${to} is not a valid phone number., see https://www.twilio.com/docs/errors/21211`,
    );
    expect(attempts).toMatchObject([{ outcome: 'failed', statusCode: 400 }]);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(requestsFor(to)).toHaveLength(1);
  });

  it('retries a 500 on the schedule and delivers once Twilio accepts', async () => {
    const to = '+4915112345673';
    answers.set(to, (n) =>
      n === 1 ? twilioError(500, 20500, 'Internal Server Error') : created(to, 'hi'),
    );
    const { message, attempts } = await sendTo(to, { text: 'hi' });
    expect(message.status).toBe('delivered');
    expect(message.deliveries[0]).toMatchObject({ status: 'succeeded', attemptCount: 2 });
    expect(attempts.map((a) => [a.outcome, a.statusCode])).toEqual([
      ['failed', 500],
      ['succeeded', 201],
    ]);
    expect(attempts[0].error).toBe(
      'Twilio answered HTTP 500 (error 20500): Internal Server Error, see https://www.twilio.com/docs/errors/20500',
    );
    expect(requestsFor(to)).toHaveLength(2);
  });

  it('retries a 429 (error 20429)', async () => {
    const to = '+4915112345674';
    answers.set(to, (n) =>
      n === 1 ? twilioError(429, 20429, 'Too Many Requests') : created(to, 'x'),
    );
    const { message, attempts } = await sendTo(to, { text: 'x' });
    expect(message.status).toBe('delivered');
    expect(attempts.map((a) => a.statusCode)).toEqual([429, 201]);
  });
});

import { connect } from 'node:net';
import { ADMIN_KEY, TestPlatform, type HttpResult } from '../../support/platform';
import { messageWithStatus, publish } from './pipeline-helpers';

/** Every error answers in the contract's shape, with a message a human can act on. */
function expectError(response: HttpResult, status: number, code: string): any[] {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String), details: expect.any(Array) } },
  });
  expect(response.body.error.message.length).toBeGreaterThan(10);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return response.body.error.details;
}

function fieldsOf(details: any[]): string[] {
  return details.map((detail) => detail.field).sort();
}

describe('pipeline: API errors', () => {
  let platform: TestPlatform;
  let app: { id: string; apiKey: string };

  beforeAll(async () => {
    platform = await TestPlatform.start();
    app = await platform.createApp();
  });
  afterAll(() => platform.stop());

  it('answers 401 without credentials', async () => {
    expectError(await platform.request('GET', '/v1/messages/msg_x'), 401, 'unauthorized');
    expectError(
      await platform.request('POST', '/v1/apps', undefined, { name: 'x' }),
      401,
      'unauthorized',
    );
  });

  it('answers 401 for an unknown key, whatever it looks like', async () => {
    for (const key of ['ak_not-a-real-key', 'rt_not-a-real-token', 'whatever']) {
      expectError(await platform.request('GET', '/v1/messages/msg_x', key), 401, 'unauthorized');
    }
  });

  it('answers 401 for a malformed Authorization header', async () => {
    const response = await fetch(`${platform.baseUrl}/v1/endpoints`, {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe('unauthorized');
  });

  it('answers 403 for an app key on /v1/apps', async () => {
    expectError(await platform.request('GET', '/v1/apps', app.apiKey), 403, 'forbidden');
    expectError(
      await platform.request('POST', '/v1/apps', app.apiKey, { name: 'sneaky' }),
      403,
      'forbidden',
    );
  });

  it('answers 403 for the admin key on /v1/messages and /v1/endpoints', async () => {
    const body = { eventType: 'order.paid', payload: {} };
    expectError(await platform.request('POST', '/v1/messages', ADMIN_KEY, body), 403, 'forbidden');
    expectError(await platform.request('GET', '/v1/endpoints', ADMIN_KEY), 403, 'forbidden');
  });

  it("answers 404 for another app's message, exactly as for one that does not exist", async () => {
    const other = await platform.createApp('other');
    const id = await publish(platform, other.apiKey, { eventType: 'order.paid', payload: {} });
    await messageWithStatus(platform, other.apiKey, id, 'no_endpoints');

    const foreign = await platform.request('GET', `/v1/messages/${id}`, app.apiKey);
    expectError(foreign, 404, 'not_found');
    expect(JSON.stringify(foreign.body)).not.toContain(other.id);
    expectError(
      await platform.request('GET', `/v1/messages/${id}/attempts`, app.apiKey),
      404,
      'not_found',
    );
    const missing = await platform.request('GET', '/v1/messages/msg_does_not_exist', app.apiKey);
    expectError(missing, 404, 'not_found');
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await platform.request(
      'POST',
      '/v1/messages',
      app.apiKey,
      '{"eventType": "order.paid", "payload": {',
    );
    expectError(response, 400, 'validation_failed');
  });

  it('answers 400 for a JSON body not sent as JSON, rather than that its fields are missing', async () => {
    const response = await fetch(`${platform.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ eventType: 'order.paid', payload: {} }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error).toEqual({
      code: 'validation_failed',
      message: expect.stringContaining('content-type: application/json'),
      details: [{ field: '(body)', message: 'must be sent as content-type: application/json' }],
    });
  });

  it('answers what the HTTP parser refuses in the same shape: 431 for huge headers, 400 for garbage', async () => {
    const response = await fetch(`${platform.baseUrl}/v1/messages`, {
      headers: { authorization: `Bearer ${'x'.repeat(20_000)}` },
    });
    expectError(
      {
        status: response.status,
        headers: response.headers,
        body: JSON.parse(await response.text()),
      } as HttpResult,
      431,
      'headers_too_large',
    );
    const { status, headers, body } = parseRawResponse(
      await rawExchange(platform.baseUrl, 'NOT HTTP AT ALL\r\n\r\n'),
    );
    expectError({ status, headers, body } as HttpResult, 400, 'malformed_request');
  });

  it('answers 413 for a body over 256 KiB, and accepts one just under', async () => {
    const tooBig = { eventType: 'order.paid', payload: { blob: 'x'.repeat(256 * 1024) } };
    expectError(
      await platform.request('POST', '/v1/messages', app.apiKey, tooBig),
      413,
      'payload_too_large',
    );
    const fits = { eventType: 'order.paid', payload: { blob: 'x'.repeat(200 * 1024) } };
    expect((await platform.request('POST', '/v1/messages', app.apiKey, fits)).status).toBe(202);
  });

  it('answers 400 naming each bad field of a message', async () => {
    const details = expectError(
      await platform.request('POST', '/v1/messages', app.apiKey, {
        eventType: 'order paid!',
        payload: ['not', 'an', 'object'],
        idempotencyKey: '',
        endpointIds: [],
      }),
      400,
      'validation_failed',
    );
    expect(fieldsOf(details)).toEqual(['endpointIds', 'eventType', 'idempotencyKey', 'payload']);
    for (const detail of details) expect(detail.message).toEqual(expect.any(String));
  });

  it('answers 400 naming the missing fields of an empty message', async () => {
    const details = expectError(
      await platform.request('POST', '/v1/messages', app.apiKey, {}),
      400,
      'validation_failed',
    );
    expect(details).toEqual(
      expect.arrayContaining([
        { field: 'eventType', message: 'is required' },
        { field: 'payload', message: 'is required' },
      ]),
    );
  });

  it('answers 400 naming a misspelt field of a message, and sends nothing', async () => {
    // Ignored, endpointIDs would send it to every endpoint of its type; orderingkey, out of order.
    const details = expectError(
      await platform.request('POST', '/v1/messages', app.apiKey, {
        eventType: 'order.paid',
        payload: {},
        endpointIDs: ['ep_x'],
        orderingkey: 'order-42',
      }),
      400,
      'validation_failed',
    );
    expect(details).toEqual([
      { field: 'endpointIDs', message: 'is not a field of this request' },
      { field: 'orderingkey', message: 'is not a field of this request' },
    ]);
  });

  it('answers 400 naming a misspelt field of a new endpoint, and creates none', async () => {
    // Ignored, eventtypes would subscribe it to every event; ordred, to them in any order.
    const before = await platform.request('GET', '/v1/endpoints', app.apiKey);
    const details = expectError(
      await platform.request('POST', '/v1/endpoints', app.apiKey, {
        channel: 'webhook',
        url: 'https://example.com/hooks',
        eventtypes: ['order.*'],
        ordred: true,
      }),
      400,
      'validation_failed',
    );
    expect(details).toEqual([
      { field: 'eventtypes', message: 'is not a field of this request' },
      { field: 'ordred', message: 'is not a field of this request' },
    ]);
    expect((await platform.request('GET', '/v1/endpoints', app.apiKey)).body).toEqual(before.body);
  });

  it('answers 400 naming a field a new app does not take, and creates none', async () => {
    // Ignored, the app would run on the default quotas (an app's own are set by PATCH).
    const before = await platform.request('GET', '/v1/apps?limit=500', ADMIN_KEY);
    const details = expectError(
      await platform.request('POST', '/v1/apps', ADMIN_KEY, {
        name: 'big-shop',
        quotas: { endpoints: 500 },
      }),
      400,
      'validation_failed',
    );
    expect(details).toEqual([{ field: 'quotas', message: 'is not a field of this request' }]);
    expect((await platform.request('GET', '/v1/apps?limit=500', ADMIN_KEY)).body).toEqual(
      before.body,
    );
  });

  it('answers 400 naming the fields sent to a route that takes no body', async () => {
    // Ignored, endpointIds would redeliver to every endpoint of the message; gracePeriod would
    // leave the old secret signing for 24 hours.
    const created = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: 'https://example.com/hooks',
    });
    const { id, recipientToken } = created.body;
    const routes: [string, string, Record<string, unknown>][] = [
      [`/v1/messages/msg_x/redeliver`, app.apiKey, { endpointIds: [id] }],
      [`/v1/deliveries/dlv_x/redeliver`, app.apiKey, { now: true }],
      [`/v1/endpoints/${id}/rotate-secret`, app.apiKey, { gracePeriod: 0 }],
      [`/v1/endpoints/${id}/rotate-recipient-token`, app.apiKey, { gracePeriod: 0 }],
      [`/v1/endpoints/${id}/ordering-keys/k/skip`, app.apiKey, { sequence: 3 }],
      [`/v1/inbox/msg_x/ack`, recipientToken, { deliveryId: 'dlv_x' }],
    ];
    for (const [path, key, body] of routes) {
      const details = expectError(
        await platform.request('POST', path, key, body),
        400,
        'validation_failed',
      );
      expect({ path, details }).toEqual({
        path,
        details: Object.keys(body).map((field) => ({
          field,
          message: 'is not a field of this request',
        })),
      });
      // Without a body, or with an empty one, the route answers as before (404 for these ids).
      if (path.includes('_x/')) {
        expect((await platform.request('POST', path, key, {})).status).toBe(404);
      }
    }
  });

  it('answers 400 naming each bad field of an endpoint', async () => {
    const details = expectError(
      await platform.request('POST', '/v1/endpoints', app.apiKey, {
        channel: 'webhook',
        url: 'not a url',
        timeoutMs: 999_999,
        retrySchedule: ['15s', '10x'],
        eventTypes: ['ord*'],
      }),
      400,
      'validation_failed',
    );
    expect(fieldsOf(details)).toEqual(
      expect.arrayContaining(['eventTypes.0', 'retrySchedule.1', 'timeoutMs', 'url']),
    );
  });

  it.each(['ftp://example.com/hook', 'javascript:alert(1)', 'http//missing-colon'])(
    'answers 400, not 500, for the webhook url %p',
    async (url) => {
      const details = expectError(
        await platform.request('POST', '/v1/endpoints', app.apiKey, { channel: 'webhook', url }),
        400,
        'validation_failed',
      );
      expect(fieldsOf(details)).toEqual(['url']);
    },
  );

  it('answers 400 naming a query parameter given twice, and why', async () => {
    const details = expectError(
      await platform.request('GET', '/v1/messages?limit=5&limit=6&status=failed', app.apiKey),
      400,
      'validation_failed',
    );
    expect(details).toEqual([{ field: 'limit', message: 'is given 2 times: give it once' }]);
  });

  it('answers 400 for a bad list query', async () => {
    const details = expectError(
      await platform.request('GET', '/v1/endpoints?limit=0&cursor=garbage', app.apiKey),
      400,
      'validation_failed',
    );
    expect(fieldsOf(details)).toContain('limit');
  });
});

/** Sends `request` as it is over a new connection and answers all the server wrote back. */
function rawExchange(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** The status, headers and JSON body of a raw HTTP/1.1 response (not chunked). */
function parseRawResponse(raw: string): { status: number; headers: Headers; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Headers(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body || 'null') };
}

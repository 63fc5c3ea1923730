import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { metricsRegistry } from '@app/common';
import { eventually } from '../../support/eventually';
import { nestedObject } from '../../support/nested-object';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';

const run = promisify(execFile);

/** Whatever a client sends, the answer is one of these: never a 5xx, never a hang. */
const SAFE = (status: number) => status >= 200 && status < 500;

/** Strings with anything in them: control characters, lone surrogates, astral planes. */
const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const jsonish = fc.jsonValue({ maxDepth: 3 });
/** No DNS: a webhook url the API checks at creation resolves nothing here. */
const url = fc.oneof(
  fc.constantFrom(
    'http://127.0.0.1:9/x',
    'https://[::1]/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::ffff:127.0.0.1]/',
    'ftp://127.0.0.1/',
    'javascript:alert(1)',
    'http://2130706433/',
  ),
  anyString,
  jsonish,
);
const duration = fc.oneof(
  fc.integer(),
  fc.double(),
  anyString,
  fc.constantFrom('15s', '1m', '-1s', '1e9d'),
);

const endpointBody = fc.oneof(
  jsonish,
  fc.record(
    {
      channel: fc.oneof(fc.constantFrom('webhook', 'email', 'sms'), jsonish),
      url,
      to: fc.oneof(fc.constantFrom('a@b.co', '+8613800000000'), anyString),
      eventTypes: fc.oneof(
        fc.array(fc.oneof(fc.constantFrom('*', 'order.*', 'a.b'), anyString)),
        jsonish,
      ),
      retrySchedule: fc.oneof(fc.array(duration, { maxLength: 60 }), jsonish),
      timeoutMs: fc.oneof(fc.integer(), fc.double(), jsonish),
      successBody: fc.oneof(anyString, jsonish),
      rateLimitPerSecond: fc.oneof(fc.integer(), fc.double(), jsonish),
      headers: fc.oneof(
        fc.dictionary(anyString, fc.oneof(anyString, jsonish), { maxKeys: 5 }),
        jsonish,
      ),
      template: fc.oneof(
        fc.record(
          {
            subject: anyString,
            text: fc.oneof(anyString, fc.constant('{{#a}}{{/b}}')),
            html: jsonish,
          },
          { requiredKeys: [] },
        ),
        jsonish,
      ),
      fallbackEndpointId: fc.oneof(anyString, jsonish),
      description: fc.oneof(anyString, jsonish),
      enabled: jsonish,
      extra: jsonish,
    },
    { requiredKeys: [] },
  ),
);

const payload = fc.oneof(
  fc.object({ maxDepth: 3 }),
  jsonish,
  fc.integer({ min: 60, max: 400 }).map(nestedObject),
  fc.dictionary(anyString, jsonish, { maxKeys: 5 }),
  fc.constant({ 'a\u0000b': 1 }),
  fc.constant(JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}')),
);

const messageBody = fc.oneof(
  jsonish,
  fc.record(
    {
      eventType: fc.oneof(fc.constantFrom('order.paid', 'a', 'a..b', '*', ''), anyString, jsonish),
      payload,
      idempotencyKey: fc.oneof(anyString, jsonish),
      endpointIds: fc.oneof(fc.array(anyString, { maxLength: 3 }), jsonish),
    },
    { requiredKeys: [] },
  ),
);

const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'limit',
          'cursor',
          'status',
          'eventType',
          'since',
          'until',
          'endpointId',
          'after',
          'limit[]',
          'cursor[a]',
          'status[0]',
        ),
        anyString,
      ),
      fc.oneof(
        fc.constantFrom('0', '-1', '501', '1e400', 'NaN', 'all', 'pending', '2026-13-45'),
        anyString,
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) =>
    pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'),
  );

async function dead(vhost: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', [
    '-q',
    'list_queues',
    '-p',
    vhost,
    'name',
    'messages',
  ]);
  const line = stdout.split('\n').find((l) => l.startsWith('notify.events.dead'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

async function acceptedAtIntake(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('notify_messages_accepted_total')?.get();
  return metric?.values.find((v) => v.labels.source === 'intake')?.value ?? 0;
}

describe('hostile input: nothing a client sends makes a 500 or crashes a process', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;
  let appId: string;
  let recipientToken: string;
  /** Another app, whose endpoints the properties create and change at random. */
  let scratchKey: string;
  let scratchEndpointId: string;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    await sink.start();
    // Thousands of messages are dead-lettered here, each a warning: errors only.
    // The fuzzing below creates up to 150 endpoints in one app: beyond the default quota.
    platform = await TestPlatform.start({ env: { LOG_LEVEL: 'error', QUOTA_ENDPOINTS: '1000' } });
    ({ apiKey, id: appId } = await platform.createApp('hostile'));
    const { body } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/valid'),
      eventTypes: ['valid.*'],
    });
    recipientToken = body.recipientToken;
    ({ apiKey: scratchKey } = await platform.createApp('scratch'));
    const scratch = await platform.request('POST', '/v1/endpoints', scratchKey, {
      channel: 'webhook',
      url: 'http://127.0.0.1:9/scratch',
      eventTypes: ['nothing.ever'],
    });
    scratchEndpointId = scratch.body.id;
  });

  afterAll(async () => {
    await platform.stop();
    await sink.stop();
    process.off('unhandledRejection', onRejection);
  });

  afterEach(() => {
    expect(rejections).toEqual([]);
  });

  async function expectSafe(method: string, path: string, token: string, body?: unknown) {
    const response = await platform.request(method, path, token, body);
    if (!SAFE(response.status)) {
      throw new Error(
        `${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`,
      );
    }
    if (response.status >= 400) {
      // A refusal in the contract's shape, saying what was wrong.
      expect(typeof response.body.error.code).toBe('string');
      expect(response.body.error.message.length).toBeGreaterThan(0);
    }
    return response;
  }

  it('POST /v1/endpoints: 201 or 400 naming the field, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(endpointBody, async (body) => {
        const { status, body: answer } = await expectSafe(
          'POST',
          '/v1/endpoints',
          scratchKey,
          body,
        );
        expect([201, 400]).toContain(status);
        // Bad input names each bad field.
        if (status === 400 && typeof body === 'object' && body !== null && !Array.isArray(body)) {
          expect(answer.error.details.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('PATCH /v1/endpoints/:id: 200 or 400, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(endpointBody, async (body) => {
        const path = `/v1/endpoints/${scratchEndpointId}`;
        const { status } = await expectSafe('PATCH', path, scratchKey, body);
        expect([200, 400]).toContain(status);
      }),
      { numRuns: 100 },
    );
  });

  it('POST /v1/messages: 202 or 400, whatever the body, raw text included', async () => {
    await fc.assert(
      fc.asyncProperty(messageBody, async (body) => {
        const { status } = await expectSafe('POST', '/v1/messages', apiKey, body);
        expect([202, 400]).toContain(status);
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(anyString, async (text) => {
        const { status } = await expectSafe('POST', '/v1/messages', apiKey, text);
        expect([202, 400]).toContain(status);
      }),
      { numRuns: 50 },
    );
  });

  it('query strings of every list: 200 or 400', async () => {
    await fc.assert(
      fc.asyncProperty(queryString, async (query) => {
        await expectSafe('GET', `/v1/messages?${query}`, apiKey);
        await expectSafe('GET', `/v1/endpoints?${query}`, apiKey);
        await expectSafe('GET', `/v1/inbox?${query}`, recipientToken);
        await expectSafe('GET', `/v1/messages/msg_x/attempts?${query}`, apiKey);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses what could never be stored with a 400 naming where it is', async () => {
    const nul = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'valid.sent',
      payload: { items: [{ 'sku\u0000': 1 }] },
    });
    expect(nul.status).toBe(400);
    expect(nul.body.error.details).toEqual([
      { field: 'payload.items.0.sku\u0000', message: 'keys may not contain the NUL character' },
    ]);
    // 10,000 levels: more than JSON.stringify itself can write, so sent as text.
    const deep = await platform.request(
      'POST',
      '/v1/messages',
      apiKey,
      `{"eventType":"valid.sent","payload":${'{"a":'.repeat(10_000)}{}${'}'.repeat(10_000)}}`,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.error.details[0].message).toBe('nests deeper than 64 levels');
    const large = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'valid.sent',
      payload: { blob: 'x'.repeat(300 * 1024) },
    });
    expect(large.status).toBe(413);
    const header = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/h'),
      headers: { 'x-tenant': 'a\r\nx-injected: 1' },
    });
    expect(header.status).toBe(400);
    expect(header.body.error.details[0].field).toBe('headers.x-tenant');
  });

  it('refuses times out of range with a 400 naming the field, never an Invalid Date or a 500', async () => {
    // 1e8 days from now is past the last JavaScript Date: it used to be stored as the epoch.
    const far = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/far'),
      retrySchedule: ['1m', '100000000d'],
    });
    expect(far.status).toBe(400);
    expect(far.body.error.details).toEqual([
      {
        field: 'retrySchedule.1',
        message: '"100000000d" is longer than the longest duration accepted, 365d',
      },
    ]);
    const hugeCursor = Buffer.from('[9007199254740991,"msg_x"]').toString('base64url');
    const cursor = await platform.request('GET', `/v1/messages?cursor=${hugeCursor}`, apiKey);
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details[0].field).toBe('cursor');
    const offset = await platform.request(
      'GET',
      `/v1/messages?since=${encodeURIComponent('2026-11-26T08:00:00+99:99')}`,
      apiKey,
    );
    expect(offset.status).toBe(400);
    expect(offset.body.error.details[0].field).toBe('since');
  });

  it('AMQP: every message, however malformed, is stored or dead-lettered with x-error; none is lost', async () => {
    const vhost = decodeURIComponent(new URL(platform.amqpUrl).pathname.slice(1));
    const deadBefore = await dead(vhost);
    const acceptedBefore = await acceptedAtIntake();
    const header = fc.oneof(
      anyString,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
    );
    const amqpMessage = fc.record({
      content: fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
        messageBody.map((body) => Buffer.from(JSON.stringify(body) ?? '')),
        anyString.map((text) => Buffer.from(text)),
      ),
      appId: fc.oneof(fc.constant(appId), anyString, fc.integer(), fc.constant(undefined)),
      headers: fc.dictionary(
        // RabbitMQ itself refuses CC and BCC (sender-selected routing) unless they are lists of
        // strings, by closing the publisher's channel: such a message never reaches the platform.
        fc.string({ maxLength: 10 }).filter((name) => name !== 'CC' && name !== 'BCC'),
        header,
        { maxKeys: 3 },
      ),
      messageId: fc.option(anyString, { nil: undefined }),
    });
    const sample = fc.sample(amqpMessage, { numRuns: 300 });
    for (const message of sample) {
      await platform.publishAmqp(message.content, {
        headers: {
          ...message.headers,
          ...(message.appId === undefined ? {} : { 'x-app-id': message.appId }),
        },
        ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
        routingKey: 'hostile',
      });
    }
    const oversized = Buffer.from(
      JSON.stringify({ eventType: 'valid.sent', payload: { blob: 'x'.repeat(300 * 1024) } }),
    );
    await platform.publishAmqp(oversized, {
      headers: { 'x-app-id': appId },
      routingKey: 'valid.sent',
    });

    // Each one ends up in exactly one place: stored (and acknowledged) or dead-lettered.
    const published = sample.length + 1;
    await eventually(
      async () => {
        const settled =
          (await acceptedAtIntake()) - acceptedBefore + ((await dead(vhost)) - deadBefore);
        return settled === published ? true : undefined;
      },
      { what: `all ${published} AMQP messages to be stored or dead-lettered`, timeoutMs: 60_000 },
    );
    const deadLettered = await platform.drainQueue('notify.events.dead');
    expect(deadLettered.length).toBeGreaterThan(0);
    for (const entry of deadLettered) {
      expect(typeof entry.headers['x-error']).toBe('string');
      expect((entry.headers['x-error'] as string).length).toBeLessThanOrEqual(1_010);
    }
    expect(
      deadLettered.some((e) =>
        /more than the 262144 bytes accepted/.test(String(e.headers['x-error'])),
      ),
    ).toBe(true);

    // And the notifier is as good as before: a valid message goes straight through.
    await platform.publishAmqp(
      { eventType: 'valid.sent', payload: { after: 'hostile' } },
      { headers: { 'x-app-id': appId } },
    );
    await eventually(
      () =>
        sink.requestsTo('/valid').some((r) => JSON.parse(r.body).data.after === 'hostile')
          ? true
          : undefined,
      { what: 'a valid message after the hostile ones to be delivered' },
    );
  });

  it('a flood of malformed messages is dead-lettered without holding up valid ones', async () => {
    const before = sink.requestsTo('/valid').length;
    const flood = Array.from({ length: 2_000 }, (_, i) => Buffer.from(`not json ${i}`));
    const started = Date.now();
    for (const [i, garbage] of flood.entries()) {
      await platform.publishAmqp(garbage, {
        headers: { 'x-app-id': appId },
        routingKey: 'garbage',
      });
      if (i % 40 === 0) {
        await platform.publishAmqp(
          { eventType: 'valid.sent', payload: { i } },
          { headers: { 'x-app-id': appId } },
        );
      }
    }
    await eventually(() => (sink.requestsTo('/valid').length - before === 50 ? true : undefined), {
      what: 'the 50 valid messages among 2,000 malformed ones to be delivered',
      timeoutMs: 60_000,
    });
    const elapsed = Date.now() - started;
    const deadLettered = await platform.drainQueue('notify.events.dead');
    expect(deadLettered).toHaveLength(2_000);
    expect(deadLettered[0]!.headers['x-error']).toMatch(/^the body is not JSON/);
    process.stdout.write(`flood: 2000 malformed + 50 valid messages settled in ${elapsed} ms\n`);
  });
});

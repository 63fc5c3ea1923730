import { NotifyApiError, NotifyClient } from '@app/client';
import {
  DEAD_LETTER_QUEUE,
  HEADER_APP_ID,
  HEADER_CATALOG_UNCHECKED,
  HEADER_MESSAGE_ID,
  newAppMessageId,
} from '@app/contracts';
import { eventually } from '../../support/eventually';
import { ADMIN_KEY, TestPlatform } from '../../support/platform';

const orderPaid = {
  type: 'object',
  required: ['orderId', 'amount'],
  properties: {
    orderId: { type: 'string' },
    amount: { type: 'number', minimum: 0 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
};

describe('event catalog: schemas enforced over HTTP and AMQP', () => {
  let platform: TestPlatform;
  let app: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };

  beforeAll(async () => {
    platform = await TestPlatform.start();
    app = await platform.createApp('catalog');
    other = await platform.createApp('other');
  });
  afterAll(async () => {
    await platform.stop();
  });

  const put = (name: string, body: unknown, key = app.apiKey) =>
    platform.request('PUT', `/v1/event-types/${name}`, key, body);
  const publish = (body: unknown, key = app.apiKey) =>
    platform.request('POST', '/v1/messages', key, body);

  /** Publishes over AMQP as a producer would, and returns what intake dead-lettered of it, if anything. */
  async function publishAmqp(appId: string, body: { eventType: string; payload: unknown }) {
    const marker = `m_${Math.random().toString(36).slice(2)}`;
    await platform.publishAmqp(
      { ...body, idempotencyKey: marker },
      { headers: { 'x-app-id': appId } },
    );
    return marker;
  }
  const dead: { content: string; headers: Record<string, unknown> }[] = [];
  async function deadLetterOf(marker: string, timeoutMs = 15_000) {
    return eventually(
      async () => {
        dead.push(...(await platform.drainQueue(DEAD_LETTER_QUEUE)));
        return dead.find((message) => message.content.includes(marker));
      },
      { timeoutMs },
    );
  }
  async function storedMessage(appId: string, marker: string) {
    return eventually(
      async () =>
        (await platform.db.collection('messages').findOne({ appId, idempotencyKey: marker })) ??
        undefined,
    );
  }

  it('registers, replaces, lists, gets and archives an event type, per app', async () => {
    const created = await put('shop.opened', { description: 'v1' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'shop.opened',
      version: 1,
      schema: null,
      examples: [],
      deprecated: false,
      archivedAt: null,
    });

    const replaced = await put('shop.opened', {
      description: 'v2',
      deprecated: true,
      schema: { type: 'object' },
      examples: [{}],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      description: 'v2',
      deprecated: true,
      version: 2,
      schema: { type: 'object' },
      examples: [{}],
    });

    const got = await platform.request('GET', '/v1/event-types/shop.opened', app.apiKey);
    expect(got.body).toEqual(replaced.body);
    const list = await platform.request('GET', '/v1/event-types?limit=50', app.apiKey);
    expect(list.body.data.map((e: { name: string }) => e.name)).toContain('shop.opened');

    // Another app sees none of it.
    expect(
      (await platform.request('GET', '/v1/event-types/shop.opened', other.apiKey)).status,
    ).toBe(404);
    expect((await platform.request('GET', '/v1/event-types', other.apiKey)).body.data).toEqual([]);

    expect(
      (await platform.request('DELETE', '/v1/event-types/shop.opened', app.apiKey)).status,
    ).toBe(204);
    const archived = await platform.request('GET', '/v1/event-types/shop.opened', app.apiKey);
    expect(archived.body).toMatchObject({ version: 3, archivedAt: expect.any(String) });
    const after = await platform.request('GET', '/v1/event-types', app.apiKey);
    expect(after.body.data.map((e: { name: string }) => e.name)).not.toContain('shop.opened');
    expect(
      (await platform.request('DELETE', '/v1/event-types/never.there', app.apiKey)).status,
    ).toBe(404);

    // Names follow the event-type rules; the platform's own are reserved.
    expect((await put('bad name', {})).status).toBe(400);
    const reserved = await put('endpoint.disabled', {});
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.details[0].field).toBe('name');
  });

  it('refuses an invalid schema or example at PUT, pointing into it', async () => {
    const invalid = await put('bad.schema', {
      schema: { type: 'object', properties: { a: { type: 'strin' } } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(invalid.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: 'schema/properties/a/type',
          pointer: '/properties/a/type',
          keyword: 'enum',
        }),
      ]),
    );

    const example = await put('bad.example', {
      schema: orderPaid,
      examples: [
        { orderId: 'o', amount: 1 },
        { orderId: 'o', amount: -1 },
      ],
    });
    expect(example.status).toBe(400);
    expect(example.body.error.message).toContain('examples.1');
    expect(example.body.error.details).toEqual([
      expect.objectContaining({
        field: 'examples.1/amount',
        pointer: '/amount',
        keyword: 'minimum',
      }),
    ]);
    // Nothing was stored.
    expect((await platform.request('GET', '/v1/event-types/bad.example', app.apiKey)).status).toBe(
      404,
    );
  });

  it('refuses hostile schemas: remote $ref, lookaround patterns, huge and deep ones', async () => {
    const remote = await put('hostile.remote', {
      schema: { $ref: 'http://127.0.0.1:1/schema.json' },
    });
    expect(remote.status).toBe(400);
    expect(remote.body.error.details).toEqual([
      expect.objectContaining({ pointer: '/$ref', keyword: '$ref' }),
    ]);

    const lookaround = await put('hostile.pattern', {
      schema: { type: 'string', pattern: '^(?!x).*' },
    });
    expect(lookaround.status).toBe(400);
    expect(lookaround.body.error.details).toEqual([
      expect.objectContaining({ pointer: '/pattern', keyword: 'pattern' }),
    ]);

    const huge = await put('hostile.huge', { schema: { description: 'x'.repeat(70_000) } });
    expect(huge.status).toBe(400);
    expect(huge.body.error.details).toEqual([expect.objectContaining({ keyword: 'maxSize' })]);

    let deep: object = { type: 'string' };
    for (let i = 0; i < 200; i++) deep = { items: deep };
    const tooDeep = await put('hostile.deep', { schema: deep });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.details[0]).toMatchObject({ keyword: 'maxDepth' });

    // A catastrophic-backtracking pattern is accepted: RE2 runs it in linear time.
    const evil = await put('hostile.redos', {
      schema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } },
    });
    expect(evil.status).toBe(201);
    const started = Date.now();
    const refused = await publish({
      eventType: 'hostile.redos',
      payload: { s: `${'a'.repeat(50_000)}!` },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({ pointer: '/s', keyword: 'pattern' }),
    ]);
    // The API is still answering everyone.
    expect((await platform.request('GET', '/health')).status).toBe(200);
  });

  it('checks HTTP and AMQP payloads against the schema, and the validate endpoint says the same', async () => {
    expect(
      (await put('order.paid', { schema: orderPaid, examples: [{ orderId: 'o_1', amount: 5 }] }))
        .status,
    ).toBe(201);

    const bad = await publish({
      eventType: 'order.paid',
      payload: { amount: '5', currency: 'eur' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('payload_schema_mismatch');
    expect(bad.body.error.details).toEqual(
      expect.arrayContaining([
        {
          field: 'payload/orderId',
          pointer: '/orderId',
          keyword: 'required',
          message: "must have required property 'orderId'",
        },
        { field: 'payload/amount', pointer: '/amount', keyword: 'type', message: 'must be number' },
        expect.objectContaining({ pointer: '/currency', keyword: 'pattern' }),
      ]),
    );
    expect(
      (await publish({ eventType: 'order.paid', payload: { orderId: 'o_1', amount: 5 } })).status,
    ).toBe(202);
    // Event types without a schema, or not registered, behave as before.
    expect(
      (await publish({ eventType: 'order.unknown', payload: { anything: true } })).status,
    ).toBe(202);

    const validate = (payload: unknown, name = 'order.paid') =>
      platform.request('POST', `/v1/event-types/${name}/validate`, app.apiKey, { payload });
    expect(await validate({ orderId: 'o', amount: 1 })).toMatchObject({
      status: 200,
      body: { valid: true },
    });
    const invalid = await validate({ orderId: 'o', amount: -1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({
      code: 'payload_schema_mismatch',
      details: [expect.objectContaining({ pointer: '/amount', keyword: 'minimum' })],
    });
    expect((await validate({}, 'order.unknown')).status).toBe(404);
    // Another app's event type of the same name is not this one's.
    expect(
      (await publish({ eventType: 'order.paid', payload: { amount: 'x' } }, other.apiKey)).status,
    ).toBe(202);

    const badMarker = await publishAmqp(app.id, {
      eventType: 'order.paid',
      payload: { orderId: 'o', amount: 'five' },
    });
    const goodMarker = await publishAmqp(app.id, {
      eventType: 'order.paid',
      payload: { orderId: 'o', amount: 5 },
    });
    const deadLetter = await deadLetterOf(badMarker);
    expect(String(deadLetter.headers['x-error'])).toMatch(
      /^payload_schema_mismatch: .*order\.paid \(version 1\): \/amount: must be number \(type\)/,
    );
    expect(await storedMessage(app.id, goodMarker)).toMatchObject({ eventType: 'order.paid' });
    expect(
      await platform.db.collection('messages').findOne({ idempotencyKey: badMarker }),
    ).toBeNull();
  });

  it("checks at intake what the API accepted unchecked (MongoDB unreadable), and trusts the rest of the API's", async () => {
    expect((await put('order.refunded', { schema: orderPaid })).status).toBe(201);
    // As the API publishes (its broker user, the id it answered with); mongodb-outage.e2e-spec
    // shows it publishing with HEADER_CATALOG_UNCHECKED while MongoDB is down.
    const asTheApi = async (marker: string, unchecked: boolean) => {
      const headers: Record<string, unknown> = {
        [HEADER_APP_ID]: app.id,
        [HEADER_MESSAGE_ID]: newAppMessageId(app.id),
      };
      if (unchecked) headers[HEADER_CATALOG_UNCHECKED] = true;
      await platform.publishAmqp(
        { eventType: 'order.refunded', payload: { amount: 'five' }, idempotencyKey: marker },
        { userId: 'guest', headers },
      );
    };
    await asTheApi('unchecked-bad', true);
    await asTheApi('checked-before', false);

    const deadLetter = await deadLetterOf('unchecked-bad');
    expect(String(deadLetter.headers['x-error'])).toMatch(
      /^payload_schema_mismatch: .*order\.refunded \(version 1\)/,
    );
    expect(await storedMessage(app.id, 'checked-before')).toMatchObject({
      eventType: 'order.refunded',
    });
    expect(
      await platform.db.collection('messages').findOne({ idempotencyKey: 'unchecked-bad' }),
    ).toBeNull();
  });

  it('a schema change is seen by the running API and notifier at once', async () => {
    const v1 = await put('order.shipped', { schema: { type: 'object', required: ['orderId'] } });
    expect(v1.body.version).toBe(1);
    // Both processes now hold version 1.
    expect((await publish({ eventType: 'order.shipped', payload: { orderId: 'o' } })).status).toBe(
      202,
    );
    await storedMessage(
      app.id,
      await publishAmqp(app.id, { eventType: 'order.shipped', payload: { orderId: 'o' } }),
    );

    const v2 = await put('order.shipped', {
      schema: { type: 'object', required: ['orderId', 'carrier'] },
    });
    expect(v2.body.version).toBe(2);
    const refused = await eventually(
      async () => {
        const answer = await publish({ eventType: 'order.shipped', payload: { orderId: 'o' } });
        return answer.status === 400 ? answer : undefined;
      },
      { timeoutMs: 2_000 },
    );
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({ pointer: '/carrier', keyword: 'required' }),
    ]);
    const marker = await publishAmqp(app.id, {
      eventType: 'order.shipped',
      payload: { orderId: 'o' },
    });
    // The notifier had version 1 in hand: it must have dropped it without waiting.
    expect(String((await deadLetterOf(marker)).headers['x-error'])).toContain(
      '(version 2): /carrier',
    );

    // Archived: no longer enforced.
    await platform.request('DELETE', '/v1/event-types/order.shipped', app.apiKey);
    await eventually(async () =>
      (await publish({ eventType: 'order.shipped', payload: {} })).status === 202
        ? true
        : undefined,
    );
  });

  it('requireRegisteredEventTypes refuses unknown and archived event types, for that app only', async () => {
    await put('order.refunded', {});
    await put('order.voided', {});
    await platform.request('DELETE', '/v1/event-types/order.voided', app.apiKey);
    const patched = await platform.request('PATCH', `/v1/apps/${app.id}`, ADMIN_KEY, {
      requireRegisteredEventTypes: true,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.requireRegisteredEventTypes).toBe(true);
    expect(
      (
        await platform.request('PATCH', `/v1/apps/${app.id}`, ADMIN_KEY, {
          requireRegisteredEventTypes: 'yes',
        })
      ).status,
    ).toBe(400);

    const refused = await publish({ eventType: 'never.registered', payload: {} });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'unregistered_event_type',
      details: [expect.objectContaining({ field: 'eventType' })],
    });
    // The archived one too; a registered one goes.
    expect((await publish({ eventType: 'order.voided', payload: {} })).status).toBe(400);
    expect((await publish({ eventType: 'order.refunded', payload: {} })).status).toBe(202);
    expect(
      (await publish({ eventType: 'never.registered', payload: {} }, other.apiKey)).status,
    ).toBe(202);

    // The notifier reads the setting within its cache period (5 s): until then it stores them.
    const deadLetter = await eventually(
      async () => {
        const marker = await publishAmqp(app.id, { eventType: 'never.registered', payload: {} });
        return deadLetterOf(marker, 300).catch(() => undefined);
      },
      { timeoutMs: 15_000 },
    );
    expect(String(deadLetter.headers['x-error'])).toContain('is not registered');
    await storedMessage(
      other.id,
      await publishAmqp(other.id, { eventType: 'never.registered', payload: {} }),
    );

    await platform.request('PATCH', `/v1/apps/${app.id}`, ADMIN_KEY, {
      requireRegisteredEventTypes: false,
    });
    expect((await publish({ eventType: 'never.registered', payload: {} })).status).toBe(202);
  });

  it('the SDK registers, reads, validates against and archives event types', async () => {
    const client = new NotifyClient({ baseUrl: platform.baseUrl, apiKey: other.apiKey });
    const registered = await client.putEventType('invoice.sent', {
      schema: { type: 'object', required: ['invoiceId'] },
    });
    expect(registered).toMatchObject({ name: 'invoice.sent', version: 1 });
    expect((await client.getEventType('invoice.sent')).schema).toEqual({
      type: 'object',
      required: ['invoiceId'],
    });
    expect((await client.allEventTypes()).map((e) => e.name)).toEqual(['invoice.sent']);
    expect(await client.validatePayload('invoice.sent', { invoiceId: 'i' })).toEqual({
      valid: true,
    });
    const refusal = await client
      .validatePayload('invoice.sent', {})
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(NotifyApiError);
    expect(refusal).toMatchObject({
      status: 400,
      code: 'payload_schema_mismatch',
      details: [expect.objectContaining({ pointer: '/invoiceId', keyword: 'required' })],
    });
    const published = await client
      .publish({ eventType: 'invoice.sent', payload: {} })
      .catch((error: unknown) => error);
    expect(published).toMatchObject({ code: 'payload_schema_mismatch' });
    await client.archiveEventType('invoice.sent');
    expect((await client.getEventType('invoice.sent')).archivedAt).not.toBeNull();
    expect(await client.allEventTypes()).toEqual([]);
  });
});

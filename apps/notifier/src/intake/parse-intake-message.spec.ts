import type { ConsumeMessage } from 'amqplib';
import { idempotentMessageId, newAppMessageId, PLATFORM_EVENT_TYPES } from '@app/contracts';
import { parseIntakeMessage } from './parse-intake-message';

const APP_ID = 'app_0192f0c4a1b27c3d8e9f00112233aabb';
const MAX_BYTES = 1024;
const HTTP_ASSIGNED_ID = newAppMessageId(APP_ID);
const OTHER_APP = 'app_0192f0c4a1b27c3d8e9f00112233ccdd';

interface Fake {
  body?: string | Buffer;
  headers?: Record<string, unknown>;
  messageId?: string;
}

/** What amqplib hands a consumer; only the fields the parser reads matter. */
function amqpMessage({ body, headers = { 'x-app-id': APP_ID }, messageId }: Fake): ConsumeMessage {
  const content = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body ?? JSON.stringify({ eventType: 'order.paid', payload: { orderId: 1 } }));
  return {
    content,
    fields: {
      deliveryTag: 1,
      redelivered: false,
      exchange: 'notify.events',
      routingKey: 'order.paid',
      consumerTag: 'ctag',
    },
    properties: { headers, messageId },
  } as unknown as ConsumeMessage;
}

function reasonFor(fake: Fake): string {
  const parsed = parseIntakeMessage(amqpMessage(fake), MAX_BYTES);
  if (parsed.ok) throw new Error('expected the message to be refused');
  return parsed.reason;
}

function accepted(fake: Fake) {
  const parsed = parseIntakeMessage(amqpMessage(fake), MAX_BYTES);
  if (!parsed.ok) throw new Error(`expected the message to be accepted: ${parsed.reason}`);
  return parsed.message;
}

describe('parseIntakeMessage', () => {
  it('turns a valid message into a store command for the app in x-app-id', () => {
    expect(accepted({})).toEqual({
      appId: APP_ID,
      eventType: 'order.paid',
      payload: { orderId: 1 },
      idempotencyKey: undefined,
      assignedId: undefined,
      mintedId: expect.stringMatching(/^msg_[0-9a-f]{32}$/) as unknown,
    });
  });

  it('mints an id only for a message that brings none', () => {
    expect(accepted({}).mintedId).not.toBe(accepted({}).mintedId);
    expect(accepted({ messageId: 'order-1' }).mintedId).toBeUndefined();
    const headers = { 'x-app-id': APP_ID, 'x-message-id': HTTP_ASSIGNED_ID };
    expect(accepted({ headers }).mintedId).toBeUndefined();
  });

  it('refuses a body over the limit by its size alone, before reading it', () => {
    const body = Buffer.alloc(MAX_BYTES + 1, 0xff);
    expect(parseIntakeMessage(amqpMessage({ body }), MAX_BYTES)).toEqual({
      ok: false,
      reason: `the body is ${MAX_BYTES + 1} bytes, more than the ${MAX_BYTES} bytes accepted`,
      tooLarge: true,
    });
  });

  it('keeps idempotencyKey and endpointIds from the body', () => {
    const body = JSON.stringify({
      eventType: 'order.paid',
      payload: {},
      idempotencyKey: 'order-1',
      endpointIds: ['ep_1', 'ep_2'],
    });
    expect(accepted({ body })).toMatchObject({
      idempotencyKey: 'order-1',
      endpointIds: ['ep_1', 'ep_2'],
    });
  });

  it.each([
    ['absent', {}],
    ['empty', { 'x-app-id': '' }],
    ['not a string', { 'x-app-id': 42 }],
  ])('refuses a message whose x-app-id is %s', (_what, headers) => {
    expect(reasonFor({ headers })).toBe("header x-app-id is required (the app's id)");
  });

  it('refuses a message without headers at all', () => {
    const message = amqpMessage({});
    message.properties.headers = undefined;
    const parsed = parseIntakeMessage(message, MAX_BYTES);
    expect(parsed).toEqual({ ok: false, reason: "header x-app-id is required (the app's id)" });
  });

  it.each(['not json', '{"eventType":', '', Buffer.from([0xff, 0xfe, 0x00])])(
    'refuses a body that is not JSON: %p',
    (body) => {
      expect(reasonFor({ body })).toMatch(/^the body is not JSON: /);
    },
  );

  it('names every field that breaks the contract', () => {
    const reason = reasonFor({ body: JSON.stringify({ eventType: 'order paid', payload: [] }) });
    expect(reason).toMatch(/^the body does not match the contract: /);
    expect(reason).toContain('eventType: must be 1-128 characters');
    expect(reason).toContain('payload: must be a JSON object');
  });

  it.each(PLATFORM_EVENT_TYPES)('refuses the reserved platform event type %p', (eventType) => {
    const reason = reasonFor({ body: JSON.stringify({ eventType, payload: {} }) });
    expect(reason).toContain("eventType: is reserved for the platform's own events");
  });

  it('keeps the reason of a refusal whose path is long, shortening the path instead', () => {
    // Nested past the limit under keys of 60 characters: the path alone is thousands long, and
    // x-error keeps the first 1,000 characters of a reason (DeadLetters).
    let payload: unknown = 1;
    for (let depth = 0; depth < 70; depth++) payload = { [`k${depth}`.padEnd(60, '_')]: payload };
    const parsed = parseIntakeMessage(
      amqpMessage({ body: JSON.stringify({ eventType: 'order.paid', payload }) }),
      64 * 1024,
    );
    if (parsed.ok) throw new Error('expected the message to be refused');
    expect(parsed.reason).toMatch(/^the body does not match the contract: payload\.k69_+\.k68/);
    expect(parsed.reason).toMatch(/…_*\.k6_+: nests deeper than 64 levels$/);
    expect(parsed.reason.length).toBeLessThan(400);
  });

  it('refuses a misspelt field rather than storing the message without it', () => {
    // Without endpointIDs the message would go to every endpoint of its type; without
    // orderingkey, out of order.
    const reason = reasonFor({
      body: JSON.stringify({
        eventType: 'order.paid',
        payload: {},
        endpointIDs: ['ep_x'],
        orderingkey: 'order-42',
      }),
    });
    expect(reason).toBe(
      'the body does not match the contract: endpointIDs: is not a field of this request; ' +
        'orderingkey: is not a field of this request',
    );
  });

  it('names missing fields', () => {
    const reason = reasonFor({ body: '{}' });
    expect(reason).toContain('eventType: is required');
    expect(reason).toContain('payload: is required');
  });

  it('says "(body)" when the body is JSON but not an object', () => {
    expect(reasonFor({ body: '[1,2]' })).toMatch(/\(body\): /);
    expect(reasonFor({ body: 'null' })).toMatch(/\(body\): /);
  });

  it('uses the AMQP messageId as the idempotency key when the body has none', () => {
    expect(accepted({ messageId: 'order-42' }).idempotencyKey).toBe('order-42');
  });

  it("prefers the body's idempotencyKey over the AMQP messageId", () => {
    const body = JSON.stringify({ eventType: 'a', payload: {}, idempotencyKey: 'from-body' });
    expect(accepted({ body, messageId: 'from-property' }).idempotencyKey).toBe('from-body');
  });

  it('ignores an empty AMQP messageId', () => {
    expect(accepted({ messageId: '' }).idempotencyKey).toBeUndefined();
  });

  it('keeps the id the HTTP API answered with (x-message-id)', () => {
    const headers = { 'x-app-id': APP_ID, 'x-message-id': HTTP_ASSIGNED_ID };
    expect(accepted({ headers }).assignedId).toBe(HTTP_ASSIGNED_ID);
  });

  it.each(
    [
      'msg_1',
      'ep_0192f0c4a1b27c3d8e9f001122334455',
      `${HTTP_ASSIGNED_ID}0`,
      42,
      ['made for another app', newAppMessageId(OTHER_APP)],
      ["another app's key-derived id", idempotentMessageId(OTHER_APP, 'order-1')],
      [
        'a tag that does not match',
        `${HTTP_ASSIGNED_ID.slice(0, -1)}${HTTP_ASSIGNED_ID.endsWith('0') ? '1' : '0'}`,
      ],
    ].map((id) => (Array.isArray(id) ? id[1] : id)),
  )('ignores an x-message-id that is not one the API made for this app: %p', (id) => {
    const headers = { 'x-app-id': APP_ID, 'x-message-id': id };
    expect(accepted({ headers }).assignedId).toBeUndefined();
  });
});

import { generateWebhookSecret, signatureHeader } from '@app/channels';
import { MemoryDedupeStore } from './dedupe-store';
import { WebhookReceiver, type WebhookEvent } from './webhook-receiver';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;

function signed(
  secrets: string[],
  options: { id?: string; timestamp?: number; body?: string } = {},
): { headers: Record<string, string>; body: string } {
  const id = options.id ?? 'msg_1';
  const timestamp = options.timestamp ?? NOW_SECONDS;
  const body =
    options.body ??
    JSON.stringify({ type: 'order.paid', timestamp: NOW.toISOString(), data: { orderId: 1 } });
  return {
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, id, timestamp, body),
    },
    body,
  };
}

describe('WebhookReceiver', () => {
  const secret = generateWebhookSecret();
  const receiver = () => new WebhookReceiver({ secrets: [secret], now: () => NOW });

  it('accepts a correctly signed delivery and hands the event over', async () => {
    const handled: WebhookEvent[] = [];
    const result = await receiver().handle(signed([secret]), (event) => {
      handled.push(event);
    });
    expect(result).toMatchObject({ status: 200, outcome: 'handled' });
    expect(handled).toEqual([
      { id: 'msg_1', type: 'order.paid', timestamp: NOW.toISOString(), data: { orderId: 1 } },
    ]);
  });

  it('accepts any live secret (rotation: old and new sign side by side)', () => {
    const old = generateWebhookSecret();
    const both = new WebhookReceiver({ secrets: [old, secret], now: () => NOW });
    expect(both.verify(signed([old])).ok).toBe(true);
    expect(both.verify(signed([generateWebhookSecret(), secret])).ok).toBe(true);
  });

  it('rejects a signature made with another secret, or over another body', async () => {
    const handler = jest.fn();
    const wrongKey = await receiver().handle(signed([generateWebhookSecret()]), handler);
    expect(wrongKey).toMatchObject({
      status: 401,
      outcome: 'rejected',
      reason: 'invalid_signature',
    });
    const tampered = {
      ...signed([secret]),
      body: '{"type":"order.paid","timestamp":"x","data":{"orderId":2}}',
    };
    expect(await receiver().handle(tampered, handler)).toMatchObject({
      reason: 'invalid_signature',
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects a stale or future timestamp even when correctly signed (replays)', async () => {
    const handler = jest.fn();
    for (const timestamp of [NOW_SECONDS - 301, NOW_SECONDS + 301]) {
      const result = await receiver().handle(signed([secret], { timestamp }), handler);
      expect(result).toMatchObject({ status: 401, reason: 'stale_timestamp' });
    }
    expect(receiver().verify(signed([secret], { timestamp: NOW_SECONDS - 300 })).ok).toBe(true);
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects missing headers and a body that is not the webhook shape', () => {
    const { body } = signed([secret]);
    expect(receiver().verify({ headers: {}, body })).toMatchObject({ reason: 'missing_headers' });
    const notJson = signed([secret], { body: 'hello' });
    expect(receiver().verify(notJson)).toMatchObject({ reason: 'invalid_body' });
  });

  it('runs the handler once per webhook-id; repeats are answered 200 as duplicates', async () => {
    const handler = jest.fn();
    const shared = receiver();
    expect(await shared.handle(signed([secret]), handler)).toMatchObject({ outcome: 'handled' });
    expect(await shared.handle(signed([secret]), handler)).toMatchObject({
      status: 200,
      outcome: 'duplicate',
    });
    expect(await shared.handle(signed([secret], { id: 'msg_2' }), handler)).toMatchObject({
      outcome: 'handled',
    });
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('answers 500 when the handler fails, and handles the retry', async () => {
    const dedupe = new MemoryDedupeStore();
    const shared = new WebhookReceiver({ secrets: secret, dedupe, now: () => NOW });
    const failing = await shared.handle(signed([secret]), () => {
      throw new Error('database down');
    });
    expect(failing).toMatchObject({ status: 500, outcome: 'failed', message: 'database down' });
    const handler = jest.fn();
    expect(await shared.handle(signed([secret]), handler)).toMatchObject({ outcome: 'handled' });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers a retry that arrives while the first handling runs with 409, not a duplicate', async () => {
    const shared = new WebhookReceiver({ secrets: secret, now: () => NOW });
    let fail!: (error: Error) => void;
    const first = shared.handle(
      signed([secret]),
      () => new Promise<void>((_, reject) => (fail = reject)),
    );
    const handler = jest.fn();
    // Only a finished id is a duplicate: a 2xx here would tell the platform it was delivered.
    expect(await shared.handle(signed([secret]), handler)).toMatchObject({
      status: 409,
      outcome: 'in_progress',
    });
    fail(new Error('database down'));
    expect(await first).toMatchObject({ status: 500, outcome: 'failed' });
    // The platform's next retry is handled: the event is not lost.
    expect(await shared.handle(signed([secret]), handler)).toMatchObject({
      status: 200,
      outcome: 'handled',
    });
    expect(await shared.handle(signed([secret]), handler)).toMatchObject({
      status: 200,
      outcome: 'duplicate',
    });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('reads headers from a fetch Headers as well', () => {
    const { headers, body } = signed([secret]);
    expect(receiver().verify({ headers: new Headers(headers), body }).ok).toBe(true);
  });

  it('refuses a malformed secret at construction', () => {
    expect(() => new WebhookReceiver({ secrets: ['whsec_short'] })).toThrow(/at least|base64/);
    expect(() => new WebhookReceiver({ secrets: [] })).toThrow(/at least one secret/);
  });
});

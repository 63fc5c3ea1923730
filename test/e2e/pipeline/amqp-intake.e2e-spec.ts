import { createHmac } from 'node:crypto';
import { verifyWebhook } from '@app/channels';
import { DEAD_LETTER_QUEUE } from '@app/contracts';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink, type ReceivedRequest } from '../../support/webhook-sink';
import { attemptsOf, createEndpoint, messageWithStatus, sleep } from './pipeline-helpers';

/** The recipient's own check, written from CONTRACT.md rather than with our signing code. */
function independentSignature(secret: string, request: ReceivedRequest): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = request.headers['webhook-id'] as string;
  const timestamp = request.headers['webhook-timestamp'] as string;
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${request.body}`).digest('base64')}`;
}

describe('pipeline: AMQP intake', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let app: { id: string; apiKey: string };

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
    app = await platform.createApp();
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  it('delivers a message published to notify.events, signed, with the same webhook-id on every attempt', async () => {
    const endpoint = await createEndpoint(platform, app.apiKey, {
      url: sink.url('/signed'),
      retrySchedule: ['200ms'],
      headers: { 'x-tenant': 'acme', authorization: 'Bearer recipient-side-token' },
    });
    sink.on('/signed', (_request, n) =>
      n === 1 ? { status: 500, body: 'not yet' } : { status: 200 },
    );
    const payload = { orderId: 42, amount: '9.90', note: 'Zoë 🚀 通知', nested: { ok: true } };

    await platform.publishAmqp(
      { eventType: 'order.paid', payload },
      { headers: { 'x-app-id': app.id } },
    );

    const [first, second] = await eventually(() => {
      const received = sink.requestsTo('/signed');
      return received.length >= 2 ? received : undefined;
    });
    const messageId = first!.headers['webhook-id'] as string;
    expect(messageId).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(second!.headers['webhook-id']).toBe(messageId);

    const message = await messageWithStatus(platform, app.apiKey, messageId, 'delivered');
    expect(message).toMatchObject({ eventType: 'order.paid', payload, idempotencyKey: null });
    expect(message.deliveries).toEqual([
      expect.objectContaining({ endpointId: endpoint.id, status: 'succeeded', attemptCount: 2 }),
    ]);

    for (const request of [first!, second!]) {
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.headers['x-tenant']).toBe('acme');
      expect(request.headers.authorization).toBe('Bearer recipient-side-token');
      const timestamp = Number(request.headers['webhook-timestamp']);
      expect(String(timestamp)).toBe(request.headers['webhook-timestamp']);
      expect(Math.abs(timestamp - request.at / 1000)).toBeLessThan(5);

      const signature = request.headers['webhook-signature'] as string;
      expect(signature).toBe(independentSignature(endpoint.secret, request));
      const headers = {
        id: request.headers['webhook-id'] as string,
        timestamp: request.headers['webhook-timestamp'] as string,
        signature,
      };
      const now = new Date(request.at);
      expect(verifyWebhook({ secrets: [endpoint.secret], headers, body: request.body, now })).toBe(
        true,
      );
      // The signature covers the exact bytes: any change to them is refused.
      const tampered = request.body.replace('42', '43');
      expect(verifyWebhook({ secrets: [endpoint.secret], headers, body: tampered, now })).toBe(
        false,
      );

      const body = JSON.parse(request.body);
      expect(Object.keys(body).sort()).toEqual(['data', 'timestamp', 'type']);
      expect(body).toEqual({ type: 'order.paid', timestamp: message.createdAt, data: payload });
    }
  });

  it('dead-letters what it cannot accept, says why, and keeps delivering the rest', async () => {
    await createEndpoint(platform, app.apiKey, { url: sink.url('/valid') });
    const headers = { 'x-app-id': app.id };
    const valid = (n: number) => ({ eventType: 'order.paid', payload: { n } });

    await platform.publishAmqp(valid(1), { headers });
    await platform.publishAmqp(Buffer.from('this is not json'), { headers });
    await platform.publishAmqp({ eventType: 'order paid', payload: 'nope' }, { headers });
    await platform.publishAmqp(valid(2), { headers });
    await platform.publishAmqp(valid(99), { headers: { 'x-other': 'no app id' } });
    await platform.publishAmqp(valid(98), { headers: { 'x-app-id': 'app_does_not_exist' } });
    await platform.publishAmqp(valid(3), { headers });

    const deliveredNs = await eventually(() => {
      const ns = sink.requestsTo('/valid').map((request) => JSON.parse(request.body).data.n);
      return ns.length >= 3 ? ns : undefined;
    });
    expect(deliveredNs.sort()).toEqual([1, 2, 3]);

    const dead: { content: string; headers: Record<string, unknown> }[] = [];
    await eventually(async () => {
      dead.push(...(await platform.drainQueue(DEAD_LETTER_QUEUE)));
      return dead.length >= 4 ? true : undefined;
    });
    const errorOf = (content: string) =>
      String(dead.find((message) => message.content === content)?.headers['x-error']);
    expect(errorOf('this is not json')).toMatch(/^the body is not JSON/);
    const schemaError = errorOf(JSON.stringify({ eventType: 'order paid', payload: 'nope' }));
    expect(schemaError).toMatch(/does not match the contract/);
    expect(schemaError).toMatch(/eventType: /);
    expect(schemaError).toMatch(/payload: must be a JSON object/);
    expect(errorOf(JSON.stringify(valid(99)))).toMatch(/header x-app-id is required/);
    expect(errorOf(JSON.stringify(valid(98)))).toMatch(/unknown app app_does_not_exist/);

    // Nothing loops back: a dead letter re-entering intake would be dead-lettered again.
    await sleep(500);
    expect(await platform.drainQueue(DEAD_LETTER_QUEUE)).toEqual([]);
    expect(dead).toHaveLength(4);
    const stored = await platform.db
      .collection('messages')
      .find({ 'payload.n': { $exists: true } })
      .toArray();
    expect(stored.map((message) => message.payload.n).sort()).toEqual([1, 2, 3]);
    expect(sink.requestsTo('/valid')).toHaveLength(3);
  });

  it('records the attempt of an AMQP message like any other', async () => {
    const other = await platform.createApp('other');
    const endpoint = await createEndpoint(platform, other.apiKey, { url: sink.url('/logged') });
    await platform.publishAmqp(
      { eventType: 'user.created', payload: { userId: 'u1' } },
      { headers: { 'x-app-id': other.id } },
    );
    const request = await eventually(() => sink.requestsTo('/logged')[0]);
    const messageId = request.headers['webhook-id'] as string;
    await messageWithStatus(platform, other.apiKey, messageId, 'delivered');
    expect(await attemptsOf(platform, other.apiKey, messageId)).toEqual([
      expect.objectContaining({
        endpointId: endpoint.id,
        attempt: 1,
        outcome: 'succeeded',
        statusCode: 200,
        responseBody: 'ok',
      }),
    ]);
  });
});

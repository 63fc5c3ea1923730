import { verifyWebhook } from '@app/channels';
import {
  DEAD_LETTER_QUEUE,
  isPlatformEventType,
  platformEventPayloadSchemas,
} from '@app/contracts';
import { ApiClient, badFields } from '../api/api-helpers';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink, type ReceivedRequest } from '../../support/webhook-sink';

interface Received {
  request: ReceivedRequest;
  type: string;
  data: any;
}

/**
 * Operational webhooks (docs/api.md "Platform events"): each event reaches the endpoint that names
 * it, signed like any webhook and stored as a message of the app, never a `*` endpoint; producers
 * cannot publish one; the failed delivery of one raises nothing further.
 */
describe('platform events', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({
      env: {
        CIRCUIT_BREAKER_OPEN_AFTER: '3',
        CIRCUIT_BREAKER_COOLDOWN: '1s',
        CIRCUIT_BREAKER_MAX_COOLDOWN: '1s',
        CIRCUIT_BREAKER_FAILURES: '1000',
      },
    });
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  /** A new app with an endpoint naming `eventTypes` at `<prefix>/ops` and a `*` one at `<prefix>/star`. */
  async function appListeningTo(prefix: string, eventTypes: string[], opsRetry = ['100ms']) {
    const app = await platform.createApp(prefix);
    const client = new ApiClient(platform, app.apiKey);
    const ops = await client.createEndpoint({
      url: sink.url(`/${prefix}/ops`),
      eventTypes,
      retrySchedule: opsRetry,
    });
    const star = await client.createEndpoint({ url: sink.url(`/${prefix}/star`) });
    return { appId: app.id, client, ops, star };
  }

  function eventsAt(path: string, type: string): Received[] {
    return sink
      .requestsTo(path)
      .map((request) => ({ request, ...(JSON.parse(request.body) as { type: string; data: any }) }))
      .filter((received) => received.type === type);
  }

  function eventAt(path: string, type: string, what: string): Promise<Received> {
    return eventually(() => eventsAt(path, type)[0], { what, timeoutMs: 20_000 });
  }

  /** Signed with the endpoint's secret, its payload as the contract says, stored for ops alone. */
  async function expectDeliveredAsMessage(
    client: ApiClient,
    received: Received,
    ops: { id: string; secret: string },
  ): Promise<void> {
    const { request, type, data } = received;
    const headers = {
      id: request.headers['webhook-id'] as string,
      timestamp: request.headers['webhook-timestamp'] as string,
      signature: request.headers['webhook-signature'] as string,
    };
    expect(
      verifyWebhook({ secrets: [ops.secret], headers, body: request.body, now: new Date() }),
    ).toBe(true);
    expect(isPlatformEventType(type)).toBe(true);
    expect(
      platformEventPayloadSchemas[type as keyof typeof platformEventPayloadSchemas]
        .strict()
        .parse(data),
    ).toEqual(data);
    const { status, body } = await client.request('GET', `/v1/messages/${headers.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ eventType: type, payload: data });
    // Fanned out to the endpoint that names it: the `*` endpoint is not among its deliveries.
    expect(body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual([ops.id]);
  }

  function platformEventsAt(path: string): string[] {
    return sink
      .requestsTo(path)
      .map((request) => (JSON.parse(request.body) as { type: string }).type)
      .filter(isPlatformEventType);
  }

  it('endpoint.disabled: a 410 from a sink', async () => {
    const { client, ops, star } = await appListeningTo('gone', ['endpoint.disabled']);
    sink.on('/gone/target', () => ({ status: 410 }));
    const target = await client.createEndpoint({
      url: sink.url('/gone/target'),
      eventTypes: ['order.*'],
    });
    await client.publish({ eventType: 'order.paid', payload: { orderId: 1 } });

    const received = await eventAt('/gone/ops', 'endpoint.disabled', 'endpoint.disabled');
    expect(received.data).toEqual({
      endpointId: target.id,
      reason: expect.stringMatching(/410/),
      disabledAt: expect.any(String),
    });
    const { body: endpoint } = await client.request('GET', `/v1/endpoints/${target.id}`);
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: received.data.reason });
    await expectDeliveredAsMessage(client, received, ops);
    expect(platformEventsAt('/gone/star')).toEqual([]);
    expect(sink.requestsTo('/gone/star').length).toBeGreaterThan(0);
    expect(star.id).not.toBe(ops.id);
  });

  it('endpoint.circuit_opened, then endpoint.circuit_closed after a success', async () => {
    const { client, ops } = await appListeningTo('circuit', [
      'endpoint.circuit_opened',
      'endpoint.circuit_closed',
    ]);
    let healthy = false;
    sink.on('/circuit/flaky', () => ({ status: healthy ? 200 : 500 }));
    const flaky = await client.createEndpoint({
      url: sink.url('/circuit/flaky'),
      eventTypes: ['flaky.*'],
      retrySchedule: Array(30).fill('300ms'),
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(await client.publish({ eventType: 'flaky.sent', payload: { i } }));

    const opened = await eventAt('/circuit/ops', 'endpoint.circuit_opened', 'the circuit to open');
    expect(opened.data).toEqual({
      endpointId: flaky.id,
      reason: expect.stringMatching(/consecutive failed attempts/),
      consecutiveFailures: expect.any(Number),
      openUntil: expect.any(String),
      cooldownMs: 1_000,
    });
    expect(opened.data.consecutiveFailures).toBeGreaterThanOrEqual(3);
    await expectDeliveredAsMessage(client, opened, ops);
    expect(eventsAt('/circuit/ops', 'endpoint.circuit_closed')).toEqual([]);

    healthy = true;
    const closed = await eventAt('/circuit/ops', 'endpoint.circuit_closed', 'the circuit to close');
    const deliveries = await Promise.all(
      ids.map(async (id) => (await client.request('GET', `/v1/messages/${id}`)).body.deliveries[0]),
    );
    expect(closed.data).toEqual({
      endpointId: flaky.id,
      reason: 'an attempt succeeded',
      deliveryId: expect.any(String),
      closedAt: expect.any(String),
    });
    expect(deliveries.map((d: { id: string }) => d.id)).toContain(closed.data.deliveryId);
    expect(Date.parse(closed.data.closedAt)).toBeGreaterThanOrEqual(
      Date.parse(opened.data.openUntil),
    );
    await expectDeliveredAsMessage(client, closed, ops);
    expect(platformEventsAt('/circuit/star')).toEqual([]);
  });

  it('delivery.failed: a short schedule exhausted, with the last error', async () => {
    const { client, ops } = await appListeningTo('failed', ['delivery.failed']);
    sink.on('/failed/target', () => ({ status: 500, body: 'down' }));
    const target = await client.createEndpoint({
      url: sink.url('/failed/target'),
      eventTypes: ['order.*'],
      retrySchedule: ['100ms', '100ms'],
    });
    const id = await client.publish({ eventType: 'order.paid', payload: { orderId: 2 } });

    const received = await eventAt('/failed/ops', 'delivery.failed', 'delivery.failed');
    const message = await client.messageWhen(id, (m) => m.status === 'failed');
    const [delivery] = message.deliveries;
    expect(received.data).toEqual({
      deliveryId: delivery.id,
      messageId: id,
      endpointId: target.id,
      eventType: 'order.paid',
      attemptCount: 3,
      reason: delivery.lastError,
      failedAt: expect.any(String),
    });
    expect(delivery.lastError).toMatch(/500/);
    await expectDeliveredAsMessage(client, received, ops);
    expect(platformEventsAt('/failed/star')).toEqual([]);
  });

  it('the failed delivery of a platform event raises no further platform event', async () => {
    const { client, ops } = await appListeningTo('loop', ['delivery.failed'], ['100ms']);
    // The endpoint that listens for delivery.failed fails too: its own deliveries of them fail.
    sink.on('/loop/ops', () => ({ status: 500 }));
    sink.on('/loop/target', () => ({ status: 500 }));
    await client.createEndpoint({
      url: sink.url('/loop/target'),
      eventTypes: ['order.*'],
      retrySchedule: ['100ms'],
    });
    const first = await client.publish({ eventType: 'order.paid', payload: { n: 1 } });
    const event = await eventAt('/loop/ops', 'delivery.failed', 'the first delivery.failed');
    const eventId = event.request.headers['webhook-id'] as string;
    // Its delivery failed and that is written (the message's status comes last).
    await client.messageWhen(eventId, (m) => m.status === 'failed');

    // A later failure raises its event after whatever the first event's failure raised: once it
    // is stored, the app's delivery.failed messages are all there are going to be.
    const second = await client.publish({ eventType: 'order.paid', payload: { n: 2 } });
    const listed = await eventually(
      async () => {
        const { body } = await client.request('GET', '/v1/messages?eventType=delivery.failed');
        const about = body.data.map((m: { payload: { messageId: string } }) => m.payload.messageId);
        return about.includes(second) ? about : undefined;
      },
      { what: 'the second delivery.failed', timeoutMs: 20_000 },
    );
    expect(listed.sort()).toEqual([first, second].sort());
    expect(ops.id).toBeDefined();
  });

  it('message.dead_lettered: AMQP intake refuses a message of the app', async () => {
    const { appId, client, ops } = await appListeningTo('dead', ['message.dead_lettered']);

    await platform.publishAmqp(Buffer.from('not json at all'), {
      headers: { 'x-app-id': appId },
      routingKey: 'order.paid',
      messageId: 'producer-1',
    });
    const received = await eventAt('/dead/ops', 'message.dead_lettered', 'message.dead_lettered');
    expect(received.data).toEqual({
      messageId: null,
      amqpMessageId: 'producer-1',
      reason: expect.stringMatching(/^the body is not JSON/),
      routingKey: 'order.paid',
      size: 'not json at all'.length,
      deadLetteredAt: expect.any(String),
    });
    await expectDeliveredAsMessage(client, received, ops);
    expect(platformEventsAt('/dead/star')).toEqual([]);
  });

  it('producers cannot publish a platform event: 400 over HTTP, dead-lettered over AMQP', async () => {
    const { appId, client } = await appListeningTo('forge', ['endpoint.disabled']);
    const { status, body } = await client.request('POST', '/v1/messages', {
      eventType: 'endpoint.disabled',
      payload: { endpointId: 'ep_forged' },
    });
    expect(status).toBe(400);
    expect(badFields(body)).toEqual(['eventType']);
    expect(JSON.stringify(body)).toMatch(/reserved/);

    const content = JSON.stringify({ eventType: 'delivery.failed', payload: { forged: true } });
    await platform.publishAmqp(Buffer.from(content), {
      headers: { 'x-app-id': appId },
      routingKey: 'delivery.failed',
    });
    const dead = await eventually(
      async () => (await platform.drainQueue(DEAD_LETTER_QUEUE)).find((m) => m.content === content),
      { what: 'the forged event to be dead-lettered' },
    );
    expect(String(dead.headers['x-error'])).toMatch(/eventType: is reserved for the platform/);
    expect(sink.requestsTo('/forge/ops')).toEqual([]);
  });
});

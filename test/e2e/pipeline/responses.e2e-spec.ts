import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { attemptsOf, createEndpoint, messageWithStatus, publish, sleep } from './pipeline-helpers';

describe('pipeline: what a response means', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });
  // An app per test: each test's message fans out to its own endpoints only.
  beforeEach(async () => {
    ({ apiKey } = await platform.createApp());
  });

  it('with successBody, counts a 2xx only when the body contains the marker', async () => {
    await createEndpoint(platform, apiKey, {
      url: sink.url('/alipay'),
      successBody: 'success',
      retrySchedule: ['200ms', '200ms'],
    });
    sink.on('/alipay', (_request, n) =>
      n === 1 ? { status: 200, body: 'fail' } : { status: 200, body: 'success' },
    );

    const id = await publish(platform, apiKey, { eventType: 'trade.paid', payload: { n: 1 } });
    const message = await messageWithStatus(platform, apiKey, id, 'delivered');
    expect(message.deliveries[0]).toMatchObject({ status: 'succeeded', attemptCount: 2 });
    const attempts = await attemptsOf(platform, apiKey, id);
    expect(attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'failed',
        statusCode: 200,
        responseBody: 'fail',
        error: expect.stringContaining('"success"'),
      }),
      expect.objectContaining({ attempt: 2, outcome: 'succeeded', statusCode: 200 }),
    ]);
  });

  it('with successBody, fails the delivery when the marker never comes', async () => {
    await createEndpoint(platform, apiKey, {
      url: sink.url('/no-marker'),
      successBody: 'success',
      retrySchedule: ['100ms'],
    });
    sink.on('/no-marker', () => ({ status: 204 }));
    const id = await publish(platform, apiKey, { eventType: 'trade.paid', payload: { n: 2 } });
    const message = await messageWithStatus(platform, apiKey, id, 'failed');
    expect(message.deliveries[0]).toMatchObject({
      status: 'failed',
      attemptCount: 2,
      lastError: expect.stringContaining('"success"'),
    });
  });

  it('disables the endpoint on 410 Gone and fails the delivery without retrying', async () => {
    const endpoint = await createEndpoint(platform, apiKey, {
      url: sink.url('/gone'),
      retrySchedule: ['100ms', '100ms'],
    });
    sink.on('/gone', () => ({ status: 410, body: 'no such subscriber' }));

    const id = await publish(platform, apiKey, { eventType: 'order.paid', payload: { n: 3 } });
    const message = await messageWithStatus(platform, apiKey, id, 'failed');
    expect(message.deliveries[0]).toMatchObject({
      status: 'failed',
      attemptCount: 1,
      nextAttemptAt: null,
      lastError: expect.stringContaining('410'),
    });
    const { status, body } = await platform.request('GET', `/v1/endpoints/${endpoint.id}`, apiKey);
    expect(status).toBe(200);
    expect(body).toMatchObject({ enabled: false, consecutiveFailures: 1 });
    expect(body.disabledReason).toMatch(/410/);

    // A disabled endpoint gets nothing more: later messages do not target it.
    const later = await publish(platform, apiKey, { eventType: 'order.paid', payload: { n: 4 } });
    expect((await messageWithStatus(platform, apiKey, later, 'no_endpoints')).deliveries).toEqual(
      [],
    );
    await sleep(300);
    expect(sink.requestsTo('/gone')).toHaveLength(1);
  });

  it('fails an attempt that takes longer than timeoutMs', async () => {
    await createEndpoint(platform, apiKey, {
      url: sink.url('/slow'),
      timeoutMs: 300,
      retrySchedule: [],
    });
    sink.on('/slow', () => ({ status: 200, body: 'too late', delayMs: 1_500 }));

    const id = await publish(platform, apiKey, { eventType: 'order.paid', payload: { n: 5 } });
    const message = await messageWithStatus(platform, apiKey, id, 'failed');
    expect(message.deliveries[0]).toMatchObject({
      status: 'failed',
      lastError: 'timed out after 300 ms',
    });
    const [attempt] = await attemptsOf(platform, apiKey, id);
    expect(attempt).toMatchObject({
      outcome: 'failed',
      statusCode: null,
      error: 'timed out after 300 ms',
    });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(290);
    expect(attempt.durationMs).toBeLessThan(1_400);
  });

  it('does not follow a redirect: a 302 is a failed attempt', async () => {
    await createEndpoint(platform, apiKey, { url: sink.url('/moved'), retrySchedule: [] });
    sink.on('/moved', () => ({ status: 302, headers: { location: sink.url('/landing') } }));

    const id = await publish(platform, apiKey, { eventType: 'order.paid', payload: { n: 6 } });
    const message = await messageWithStatus(platform, apiKey, id, 'failed');
    const [attempt] = await attemptsOf(platform, apiKey, id);
    expect(attempt).toMatchObject({ outcome: 'failed', statusCode: 302 });
    expect(attempt.error).toMatch(/redirect/);
    expect(message.deliveries[0].lastError).toMatch(/302/);
    expect(sink.requestsTo('/landing')).toHaveLength(0);
  });
});

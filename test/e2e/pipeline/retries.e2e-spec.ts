import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { attemptsOf, createEndpoint, messageWithStatus, publish, sleep } from './pipeline-helpers';

/** Scheduler interval, claim, outcome write and a loaded machine: how late an attempt may be. */
const LATENESS_MS = 600;

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - times[i]!);
}

describe('pipeline: retries on the schedule', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
  });
  // An app per test: each test's message fans out to its own endpoints only.
  beforeEach(async () => {
    ({ apiKey } = await platform.createApp());
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  it('retries a failing endpoint on its schedule, logs every attempt, and succeeds', async () => {
    // Not monotonic, so a schedule read at the wrong index shows up as a gap out of bounds.
    const schedule = [800, 200, 500];
    const endpoint = await createEndpoint(platform, apiKey, {
      url: sink.url('/flaky'),
      retrySchedule: ['800ms', '200ms', 500],
    });
    expect(endpoint.retrySchedule).toEqual(schedule);
    const longBody = '通'.repeat(1_000); // 3,000 bytes of UTF-8
    sink.on('/flaky', (_request, n) => {
      if (n === 1) return { status: 500, body: longBody };
      if (n === 2) return { status: 502, body: 'bad gateway' };
      if (n === 3) return { status: 404 };
      return { status: 200, body: 'thanks' };
    });

    const id = await publish(platform, apiKey, { eventType: 'order.paid', payload: { n: 1 } });
    const message = await messageWithStatus(platform, apiKey, id, 'delivered');

    const attempts = await attemptsOf(platform, apiKey, id);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.statusCode, a.error])).toEqual([
      [1, 'failed', 500, 'HTTP 500'],
      [2, 'failed', 502, 'HTTP 502'],
      [3, 'failed', 404, 'HTTP 404'],
      [4, 'succeeded', 200, null],
    ]);
    const [delivery] = message.deliveries;
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ deliveryId: delivery.id, endpointId: endpoint.id });
      expect(attempt.durationMs).toEqual(expect.any(Number));
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      expect(attempt.durationMs).toBeLessThan(2_000);
    }
    expect(Buffer.byteLength(attempts[0].responseBody, 'utf8')).toBeLessThanOrEqual(1_024);
    expect(attempts[0].responseBody.length).toBeGreaterThan(300);
    expect(longBody.startsWith(attempts[0].responseBody)).toBe(true);
    expect(attempts[1].responseBody).toBe('bad gateway');
    expect(attempts[3].responseBody).toBe('thanks');

    // Each delay counts from the end of the previous attempt, +-10% jitter.
    const started = attempts.map((attempt) => Date.parse(attempt.startedAt));
    gaps(started).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(schedule[i]! * 0.9);
      expect(gap).toBeLessThanOrEqual(schedule[i]! * 1.1 + attempts[i].durationMs + LATENESS_MS);
    });
    // The sink's own clock agrees.
    const received = sink.requestsTo('/flaky').map((request) => request.at);
    expect(received).toHaveLength(4);
    gaps(received).forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(schedule[i]! * 0.9));

    expect(delivery).toMatchObject({
      status: 'succeeded',
      attemptCount: 4,
      nextAttemptAt: null,
      lastError: null,
      lastAttemptAt: attempts[3].startedAt,
    });
    expect(Date.parse(delivery.deliveredAt)).toBeGreaterThanOrEqual(started[3]!);
    const { body: health } = await platform.request('GET', `/v1/endpoints/${endpoint.id}`, apiKey);
    expect(health).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    expect(health.lastSuccessAt).not.toBeNull();
  });

  it('fails the delivery and the message once the schedule is exhausted', async () => {
    const endpoint = await createEndpoint(platform, apiKey, {
      url: sink.url('/down'),
      retrySchedule: ['200ms', '400ms'],
    });
    sink.on('/down', () => ({ status: 500, body: 'down' }));

    const id = await publish(platform, apiKey, { eventType: 'order.paid', payload: { n: 2 } });
    const message = await messageWithStatus(platform, apiKey, id, 'failed');
    expect(message.deliveries).toEqual([
      expect.objectContaining({
        endpointId: endpoint.id,
        status: 'failed',
        attemptCount: 3,
        nextAttemptAt: null,
        lastError: 'HTTP 500',
        deliveredAt: null,
      }),
    ]);
    const attempts = await attemptsOf(platform, apiKey, id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);

    // And nothing more after that.
    await sleep(700);
    expect(sink.requestsTo('/down')).toHaveLength(3);
    const { body: health } = await platform.request('GET', `/v1/endpoints/${endpoint.id}`, apiKey);
    expect(health).toMatchObject({ enabled: true, consecutiveFailures: 3, lastSuccessAt: null });
    expect(health.lastFailureAt).not.toBeNull();
  });

  it.each([429, 503])(
    'waits at least Retry-After after a %i, although the schedule says less',
    async (status) => {
      const path = `/busy-${status}`;
      await createEndpoint(platform, apiKey, { url: sink.url(path), retrySchedule: ['100ms'] });
      sink.on(path, (_request, n) =>
        n === 1 ? { status, headers: { 'retry-after': '1' } } : { status: 200 },
      );

      const id = await publish(platform, apiKey, { eventType: 'order.paid', payload: { status } });
      await messageWithStatus(platform, apiKey, id, 'delivered');
      const [first, second] = sink.requestsTo(path);
      const gap = second!.at - first!.at;
      expect(gap).toBeGreaterThanOrEqual(1_000);
      expect(gap).toBeLessThan(1_000 + LATENESS_MS + 500);
      const attempts = await attemptsOf(platform, apiKey, id);
      expect(attempts.map((a) => a.statusCode)).toEqual([status, 200]);
    },
  );

  it('ignores Retry-After on other statuses: the schedule decides', async () => {
    await createEndpoint(platform, apiKey, {
      url: sink.url('/busy-500'),
      retrySchedule: ['100ms'],
    });
    sink.on('/busy-500', (_request, n) =>
      n === 1 ? { status: 500, headers: { 'retry-after': '5' } } : { status: 200 },
    );
    const id = await publish(platform, apiKey, { eventType: 'order.paid', payload: { n: 500 } });
    await messageWithStatus(platform, apiKey, id, 'delivered');
    const [first, second] = await eventually(() => {
      const received = sink.requestsTo('/busy-500');
      return received.length === 2 ? received : undefined;
    });
    // Well before the 5 s Retry-After asked for: the 100 ms schedule decided, however busy the machine.
    expect(second!.at - first!.at).toBeLessThan(5_000);
  });
});

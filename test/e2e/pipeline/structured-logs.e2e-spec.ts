import { HEADER_APP_ID, HEADER_MESSAGE_ID, newAppMessageId } from '@app/contracts';
import { buildProject, type Build } from '../../support/build-ts';
import { freePort } from '../../support/free-port';
import { ADMIN_KEY, SECRETS_KEY, TestPlatform } from '../../support/platform';
import { whenReady } from '../../support/ready';
import { ServiceProcess } from '../../support/service-process';
import { WebhookSink } from '../../support/webhook-sink';
import { createEndpoint, messageWithStatus, publish } from './pipeline-helpers';

interface LogLine {
  level: string;
  time: string;
  msg: string;
  context: string;
  [field: string]: unknown;
}

/** Every line of a process's stdout, each parsed: one that is not a JSON object fails the test. */
function linesOf(child: ServiceProcess): LogLine[] {
  const lines = child.stdout.split('\n').filter((line) => line.length > 0);
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${child.name} wrote a line that is not JSON: ${line}`);
    }
    expect(parsed).toMatchObject({
      level: expect.any(String),
      time: expect.any(String),
      msg: expect.any(String),
      context: expect.any(String),
    });
    return parsed as LogLine;
  });
}

/**
 * The API and a notifier as real processes (the built dist) log one JSON object a line, and the
 * notifier's lines about a delivery carry its ids as fields (docs/operations.md, "Logs").
 */
describe('structured logs', () => {
  let build: Build;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  const processes: ServiceProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    [build] = await Promise.all([buildProject('tsconfig.build.json'), sink.start()]);
    // The in-process API creates the app and publishes; the processes below are the test's own.
    platform = await TestPlatform.start({ notifiers: 0 });
    env = {
      MONGODB_URI: platform.mongoUri,
      AMQP_URL: platform.amqpUrl,
      ADMIN_API_KEY: ADMIN_KEY,
      SECRETS_KEY,
      TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
      SCHEDULER_INTERVAL: '50ms',
      LEASE_DURATION: '15s',
    };
  }, 240_000);

  // Each test stops its process itself; one that failed first leaves it here.
  afterEach(async () => {
    for (const child of processes.splice(0)) await child.stop('SIGKILL');
  });
  afterAll(async () => {
    await Promise.all([platform?.stop(), sink.stop(), build?.remove()]);
  });

  function start(service: 'api' | 'notifier', extra: Record<string, string>): ServiceProcess {
    const child = ServiceProcess.start(build, service, { ...env, ...extra });
    processes.push(child);
    return child;
  }

  it('gives every notifier line about a failed delivery its message and delivery ids', async () => {
    const notifier = start('notifier', { LOG_LEVEL: 'debug' });
    await notifier.waitForLog('running: consuming intake');
    const { id: appId, apiKey } = await platform.createApp('logs');
    // Two attempts, both answered 500: the schedule is exhausted and the delivery fails.
    const endpoint = await createEndpoint(platform, apiKey, {
      url: sink.url('/down'),
      retrySchedule: ['100ms'],
    });
    sink.on('/down', () => ({ status: 500 }));
    const messageId = await publish(platform, apiKey, { eventType: 'order.paid', payload: {} });
    const message = await messageWithStatus(platform, apiKey, messageId, 'failed');
    const deliveryId: string = message.deliveries[0].id;
    // A message the API assigned an id to, refused at intake: dead-lettered with that id.
    const refusedId = newAppMessageId(appId);
    await platform.publishAmqp(Buffer.from('not json'), {
      routingKey: 'order.paid',
      headers: { [HEADER_APP_ID]: appId, [HEADER_MESSAGE_ID]: refusedId },
    });
    await notifier.waitForLog('message dead-lettered');
    await notifier.waitForLog('delivery failed');
    expect((await notifier.stop('SIGTERM')).code).toBe(0);

    const lines = linesOf(notifier);
    const about = lines.filter(
      (line) =>
        line.messageId === messageId ||
        line.deliveryId === deliveryId ||
        line.msg.includes(messageId) ||
        line.msg.includes(deliveryId),
    );
    for (const line of about) {
      expect(line).toMatchObject({ messageId, deliveryId, endpointId: endpoint.id });
    }
    const attempts = about.filter((line) => line.level === 'debug');
    expect(
      attempts.map((line) => [line.context, line.attempt, line.outcome, line.statusCode]),
    ).toEqual([
      ['OutcomeWriter', 1, 'failed', 500],
      ['OutcomeWriter', 2, 'failed', 500],
    ]);
    for (const line of attempts) expect(line.durationMs).toEqual(expect.any(Number));
    expect(about.filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({
        context: 'OutcomeWriter',
        msg: 'delivery failed after 2 attempts: HTTP 500',
        status: 'failed',
        attempt: 2,
        reason: 'HTTP 500',
      }),
    ]);
    const deadLettered = lines.filter((line) => line.msg.startsWith('message dead-lettered'));
    expect(deadLettered).toEqual([
      expect.objectContaining({
        level: 'warn',
        context: 'IntakeConsumer',
        messageId: refusedId,
        reason: expect.stringMatching(/^the body is not JSON/),
      }),
    ]);
  });

  it('logs each API request with its status and duration, never its credentials nor probes', async () => {
    const port = await freePort();
    const api = start('api', { PORT: String(port) });
    await api.waitForLog('listening on');
    const baseUrl = `http://127.0.0.1:${port}`;
    // The API listens before its broker connection is up (boot does not wait for RabbitMQ), and
    // a publish before it answers 503, as one did in a CI run. Probes are not logged.
    await whenReady(baseUrl, 'the API to answer ready');
    const listed = await fetch(`${baseUrl}/v1/apps?limit=1`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(listed.status).toBe(200);
    const app = (await (
      await fetch(`${baseUrl}/v1/apps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'logged' }),
      })
    ).json()) as { apiKey: string };
    const published = await fetch(`${baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'order.paid', payload: {} }),
    });
    expect(published.status).toBe(202);
    const { id: messageId } = (await published.json()) as { id: string };
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/metrics`)).status).toBe(200);
    await api.waitForLog('request completed');
    expect((await api.stop('SIGTERM')).code).toBe(0);

    const lines = linesOf(api);
    const requests = lines.filter((line) => line.context === 'HttpRequest');
    expect(requests).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        req: expect.objectContaining({
          method: 'GET',
          url: '/v1/apps?limit=1',
          headers: expect.objectContaining({ authorization: '[redacted]' }),
        }),
        res: expect.objectContaining({ statusCode: 200 }),
        responseTime: expect.any(Number),
      }),
      expect.objectContaining({
        req: expect.objectContaining({ method: 'POST', url: '/v1/apps' }),
        res: expect.objectContaining({ statusCode: 201 }),
      }),
      expect.objectContaining({
        req: expect.objectContaining({ method: 'POST', url: '/v1/messages' }),
        res: expect.objectContaining({ statusCode: 202 }),
        messageId,
      }),
    ]);
    expect(api.stdout).not.toContain(ADMIN_KEY);
    expect(api.stdout).not.toContain(app.apiKey);
  });
});

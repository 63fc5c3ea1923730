import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildProject, REPO_ROOT, type Build } from '../../support/build-ts';
import { eventually } from '../../support/eventually';
import { freePort } from '../../support/free-port';
import { OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver';
import { ADMIN_KEY, SECRETS_KEY, TestPlatform } from '../../support/platform';
import { ServiceProcess } from '../../support/service-process';
import { WebhookSink } from '../../support/webhook-sink';
import { createEndpoint } from './pipeline-helpers';

const run = promisify(execFile);

/** W3C traceparent: version-traceId-spanId-flags. */
function traceIdOf(traceparent: unknown): string {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(traceparent));
  if (match === null) throw new Error(`not a traceparent: ${String(traceparent)}`);
  return match[1]!;
}

/**
 * The API and a notifier as real processes (the built dist) with the standard OTEL_* variables
 * pointing at a real OTLP/HTTP receiver: one trace follows a message from the HTTP request to the
 * recipient, whose webhook carries its traceparent; a retry starts a trace that links to it.
 */
describe('tracing (OpenTelemetry)', () => {
  let build: Build;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  const receiver = new OtlpReceiver();
  const processes: ServiceProcess[] = [];
  let app: { id: string; apiKey: string };
  let api: ServiceProcess;
  let apiUrl: string;

  beforeAll(async () => {
    [build] = await Promise.all([
      buildProject('tsconfig.build.json'),
      sink.start(),
      receiver.start(),
    ]);
    // The in-process API (untraced) sets up; the traced processes are the test's own.
    platform = await TestPlatform.start({ notifiers: 0 });
    app = await platform.createApp('traced');
    const env = {
      MONGODB_URI: platform.mongoUri,
      AMQP_URL: platform.amqpUrl,
      ADMIN_API_KEY: ADMIN_KEY,
      SECRETS_KEY,
      TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
      SCHEDULER_INTERVAL: '50ms',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    };
    const port = await freePort();
    api = ServiceProcess.start(build, 'api', { ...env, PORT: String(port) });
    const notifier = ServiceProcess.start(build, 'notifier', env);
    processes.push(api, notifier);
    await Promise.all([
      api.waitForLog('listening on'),
      notifier.waitForLog('running: consuming intake'),
    ]);
    apiUrl = `http://127.0.0.1:${port}`;
  }, 240_000);

  afterAll(async () => {
    for (const child of processes) await child.stop('SIGKILL');
    await platform?.stop();
    await sink.stop();
    await receiver.stop();
    await build?.remove();
  });

  const dump = () =>
    receiver.spans
      .map((s) => `${s.service} ${s.traceId} ${s.spanId} <- ${s.parentSpanId} ${s.name}`)
      .join('\n');

  function span(what: string, match: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    return eventually(() => receiver.spans.find(match), {
      what: `${what}; the receiver has:\n${dump()}`,
    });
  }

  const attemptSpan = (messageId: string, attempt: number) =>
    span(
      `the span of attempt ${attempt} of ${messageId}`,
      (s) =>
        s.name === 'notify attempt' &&
        s.attributes['notify.message.id'] === messageId &&
        s.attributes['notify.attempt.number'] === attempt,
    );

  /** The span whose context an outbound webhook carried: the attempt's HTTP client span. */
  const spanOfTraceparent = (traceparent: unknown) =>
    span(
      `the span of ${String(traceparent)}`,
      (s) => `00-${s.traceId}-${s.spanId}-01` === traceparent,
    );

  it('follows POST /v1/messages through publish, intake, store and the attempt to the recipient; a retry links to it', async () => {
    const endpoint = await createEndpoint(platform, app.apiKey, {
      url: sink.url('/traced'),
      eventTypes: ['order.*'],
      retrySchedule: ['300ms'],
    });
    sink.on('/traced', (_request, n) => (n === 1 ? { status: 500 } : { status: 200 }));

    const response = await fetch(`${apiUrl}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'order.paid', payload: { orderId: 7 } }),
    });
    expect(response.status).toBe(202);
    const { id: messageId } = (await response.json()) as { id: string };
    const [first, second] = await eventually(() => {
      const received = sink.requestsTo('/traced');
      return received.length >= 2 ? received : undefined;
    });

    // The API: the request's span starts the trace, the publish to notify.events is inside it.
    const request = await span(
      'the API request span',
      (s) =>
        s.service === 'notify-api' &&
        s.kind === 2 &&
        s.parentSpanId === undefined &&
        s.attributes['http.route'] === '/v1/messages',
    );
    expect(request.name).toBe('POST /v1/messages');
    const traceId = request.traceId;
    const publish = await span(
      'the publish span',
      (s) => s.traceId === traceId && s.name === 'publish notify.events',
    );
    expect(publish).toMatchObject({ service: 'notify-api', kind: 4 });

    // The notifier: intake (the AMQP consume span) -> store -> the first attempt, one trace.
    const intake = await span('the intake span', (s) => s.parentSpanId === publish.spanId);
    expect(intake).toMatchObject({ service: 'notify-notifier', kind: 5, traceId });
    const store = await span('the store span', (s) => s.parentSpanId === intake.spanId);
    expect(store).toMatchObject({ service: 'notify-notifier', name: 'notify store', traceId });
    const insert = await span(
      'the MongoDB insert of the message',
      (s) => s.parentSpanId === store.spanId && s.name === 'insert messages',
    );
    expect(insert.attributes['db.system.name']).toBe('mongodb');
    const firstAttempt = await attemptSpan(messageId, 1);
    expect(firstAttempt).toMatchObject({
      service: 'notify-notifier',
      traceId,
      parentSpanId: store.spanId,
      attributes: expect.objectContaining({
        'notify.endpoint.id': endpoint.id,
        'notify.attempt.outcome': 'transient',
        'http.response.status_code': 500,
      }),
      status: expect.objectContaining({ code: 2 }),
    });

    // The recipient: the webhook's traceparent is the attempt's request, in the same trace.
    expect(traceIdOf(first!.headers.traceparent)).toBe(traceId);
    const firstRequest = await spanOfTraceparent(first!.headers.traceparent);
    expect(firstRequest).toMatchObject({ parentSpanId: firstAttempt.spanId, kind: 3 });

    // The retry: a trace of its own, linked to the message's.
    const retry = await attemptSpan(messageId, 2);
    expect(retry.traceId).not.toBe(traceId);
    expect(retry).toMatchObject({
      parentSpanId: undefined,
      links: [{ traceId, spanId: store.spanId }],
      attributes: expect.objectContaining({
        'notify.attempt.outcome': 'delivered',
        'http.response.status_code': 200,
      }),
    });
    expect(traceIdOf(second!.headers.traceparent)).toBe(retry.traceId);

    // Kept with the message, for attempts hours later.
    const stored = await platform.db.collection('messages').findOne({ _id: messageId as never });
    expect(stored?.trace).toEqual({ traceparent: `00-${traceId}-${store.spanId}-01` });

    // Log lines written inside a span carry its ids.
    const requestLine = api.stdout
      .split('\n')
      .filter((line) => line.includes('"url":"/v1/messages"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(requestLine).toEqual([
      expect.objectContaining({ msg: 'request completed', messageId, traceId }),
    ]);
  });

  it("continues a producer's trace when its AMQP message carries traceparent", async () => {
    await createEndpoint(platform, app.apiKey, {
      url: sink.url('/from-amqp'),
      eventTypes: ['invoice.*'],
    });
    const producerTrace = randomBytes(16).toString('hex');
    const producerSpan = randomBytes(8).toString('hex');
    await platform.publishAmqp(
      { eventType: 'invoice.sent', payload: { invoice: 1 } },
      { headers: { 'x-app-id': app.id, traceparent: `00-${producerTrace}-${producerSpan}-01` } },
    );
    const [received] = await eventually(() => {
      const requests = sink.requestsTo('/from-amqp');
      return requests.length >= 1 ? requests : undefined;
    });
    expect(traceIdOf(received!.headers.traceparent)).toBe(producerTrace);
    const intake = await span('the intake span', (s) => s.parentSpanId === producerSpan);
    expect(intake).toMatchObject({ service: 'notify-notifier', traceId: producerTrace });
  });

  it("joins the caller's trace when POST /v1/messages carries traceparent", async () => {
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const response = await fetch(`${apiUrl}/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${app.apiKey}`,
        'content-type': 'application/json',
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
      },
      body: JSON.stringify({ eventType: 'audit.logged', payload: {} }),
    });
    expect(response.status).toBe(202);
    const request = await span('the API request span', (s) => s.parentSpanId === callerSpan);
    expect(request).toMatchObject({ service: 'notify-api', traceId: callerTrace });
  });

  it('does not load the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
    const entry = join(build.outDir, 'apps', 'notifier', 'src', 'tracing.js');
    const loaded = async (env: Record<string, string>) => {
      const { stdout } = await run(
        process.execPath,
        [
          '-e',
          `require(${JSON.stringify(entry)});` +
            "process.stdout.write(String(Object.keys(require.cache).some((m) => m.includes('@opentelemetry/sdk-node'))))",
        ],
        { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
      );
      return stdout;
    };
    expect(await loaded({})).toBe('false');
    expect(await loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint })).toBe('true');
    expect(
      await loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SDK_DISABLED: 'true' }),
    ).toBe('false');
  });
});

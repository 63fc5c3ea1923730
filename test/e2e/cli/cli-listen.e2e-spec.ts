import { WebhookReceiver } from '@app/client';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink, type ReceivedRequest } from '../../support/webhook-sink';
import { CliRunner } from './cli-runner';

interface Created {
  id: string;
  secret: string;
  recipientToken: string;
}

/**
 * `notify listen` as a developer runs it: the platform cannot reach the laptop (the endpoint's
 * URL answers 503 and retries an hour later), and the CLI forwards the endpoint's inbox to a
 * local receiver that verifies the signature with the endpoint's secret, as in production.
 */
describe('notify listen (the built binary)', () => {
  let cli: CliRunner;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let apiKey: string;
  let endpoint: Created;

  beforeAll(async () => {
    [cli] = await Promise.all([CliRunner.build(), sink.start()]);
    platform = await TestPlatform.start();
    ({ apiKey } = await platform.createApp('listen'));
    sink.on('/unreachable', () => ({ status: 503 }));
    const created = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url('/unreachable'),
      eventTypes: ['order.*'],
      retrySchedule: ['1h'],
    });
    expect(created.status).toBe(201);
    endpoint = created.body;
    // The local receiver: the SDK's verification with the endpoint's secret, 401 if it fails.
    const receiver = new WebhookReceiver({ secrets: endpoint.secret });
    const verifying = (refuse: (type: string) => boolean) => (request: ReceivedRequest) => {
      const verified = receiver.verify({ headers: request.headers, body: request.body });
      if (!verified.ok) return { status: 401, body: verified.message };
      return { status: refuse(verified.event.type) ? 500 : 200 };
    };
    sink.on(
      '/hooks',
      verifying(() => false),
    );
    sink.on(
      '/hooks-ack',
      verifying((type) => type === 'order.refused'),
    );
    cli.env = {
      NOTIFY_URL: platform.baseUrl,
      NOTIFY_RECIPIENT_TOKEN: endpoint.recipientToken,
      NOTIFY_WEBHOOK_SECRET: endpoint.secret,
    };
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
    await cli?.remove();
  });

  async function publish(eventType: string, payload: object): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/messages', apiKey, {
      eventType,
      payload,
    });
    expect(status).toBe(202);
    return body.id;
  }

  async function inInbox(messageId: string): Promise<void> {
    await eventually(
      async () => {
        const { status } = await platform.request(
          'GET',
          `/v1/inbox/${messageId}`,
          endpoint.recipientToken,
        );
        return status === 200 ? true : undefined;
      },
      { what: `${messageId} in the inbox` },
    );
  }

  async function messageStatus(messageId: string): Promise<string> {
    const { body } = await platform.request('GET', `/v1/messages/${messageId}`, apiKey);
    return body.status;
  }

  const idsAt = (path: string) =>
    sink.received.filter((r) => r.path === path).map((r) => r.headers['webhook-id']);

  it('forwards what arrives from now on, signed so the receiver verifies it, and prints the answer', async () => {
    const before = await publish('order.paid', { n: 0 });
    await inInbox(before);
    const listen = cli.spawn([
      'listen',
      '--endpoint',
      endpoint.id,
      '--forward-to',
      sink.url('/hooks'),
      '--interval',
      '100ms',
      '--json',
    ]);
    const closed = new Promise<number | null>((resolve) => listen.on('close', resolve));
    await eventually(() => (listen.err().includes('Ctrl-C to stop') ? true : undefined), {
      what: 'listen to start',
    });
    const id = await publish('order.paid', { n: 1 });
    const line = await eventually(
      () =>
        listen
          .out()
          .split('\n')
          .filter((text) => text.trim() !== '')
          .map((text) => JSON.parse(text))
          .find((event) => event.messageId === id),
      { what: `listen to forward ${id}` },
    );
    expect(line).toEqual({
      forwardedAt: expect.any(String),
      endpointId: endpoint.id,
      messageId: id,
      eventType: 'order.paid',
      deliveryStatus: 'pending',
      status: 200,
      durationMs: expect.any(Number),
      error: null,
      acked: false,
    });
    const forwarded = sink.received.find(
      (r) => r.path === '/hooks' && r.headers['webhook-id'] === id,
    )!;
    const { body: message } = await platform.request('GET', `/v1/messages/${id}`, apiKey);
    expect(JSON.parse(forwarded.body)).toEqual({
      type: 'order.paid',
      timestamp: message.createdAt,
      data: { n: 1 },
    });
    expect(forwarded.headers['content-type']).toBe('application/json');
    // The message from before listen started is not forwarded; nothing was acknowledged.
    expect(idsAt('/hooks')).toEqual([id]);
    expect(await messageStatus(id)).toBe('pending');

    listen.kill('SIGINT');
    expect(await closed).toBe(0);
  });

  it('--since goes back in time; --ack acknowledges the 2xx answers only', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const paid = await publish('order.paid', { n: 2 });
    const refused = await publish('order.refused', { n: 3 });
    await inInbox(refused);
    const listen = cli.spawn([
      'listen',
      '--endpoint',
      endpoint.id,
      '--forward-to',
      sink.url('/hooks-ack'),
      '--since',
      since,
      '--ack',
      '--interval',
      '100ms',
    ]);
    const closed = new Promise<number | null>((resolve) => listen.on('close', resolve));
    await eventually(() => (listen.out().includes(refused) ? true : undefined), {
      what: `listen to forward ${refused}`,
    });
    const lines = listen.out().trim().split('\n');
    const lineOf = (id: string) => lines.find((text) => text.includes(id));
    expect(lineOf(paid)).toMatch(/order\.paid {2}-> 200 {2}\d+ms {2}acked$/);
    expect(lineOf(refused)).toMatch(/order\.refused {2}-> 500 {2}\d+ms$/);
    // Everything of the last minute came, oldest first: the first test's messages too.
    const forwarded = idsAt('/hooks-ack');
    expect(forwarded.slice(-2)).toEqual([paid, refused]);
    expect(forwarded.length).toBeGreaterThanOrEqual(4);
    expect(await messageStatus(paid)).toBe('delivered');
    expect(await messageStatus(refused)).toBe('pending');

    listen.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(listen.err()).toContain(`since ${since}`);
  });

  describe('exit status', () => {
    const base = () => ['listen', '--endpoint', endpoint.id, '--forward-to', sink.url('/hooks')];

    it.each([
      ['no --forward-to', () => ['listen', '--endpoint', 'ep_x'], {}],
      ['no --endpoint', () => ['listen', '--forward-to', 'http://127.0.0.1:1/'], {}],
      ['no token', base, { NOTIFY_RECIPIENT_TOKEN: undefined }],
      ['no secret', base, { NOTIFY_WEBHOOK_SECRET: undefined }],
      ['a malformed secret', () => [...base(), '--secret', 'whsec_c2hvcnQ='], {}],
      [
        'a --forward-to that is not http',
        () => [...base().slice(0, 3), '--forward-to', 'ftp://x'],
        {},
      ],
      ['a bad --since', () => [...base(), '--since', 'last week'], {}],
    ])('2 for wrong usage: %s', async (_name, args, env) => {
      const run = await cli.run(args(), env);
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
      expect(run.stderr).not.toBe('');
    });

    it('1 when the recipient token is refused', async () => {
      const run = await cli.run(base(), { NOTIFY_RECIPIENT_TOKEN: 'rt_unknown' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('401');
    });
  });
});

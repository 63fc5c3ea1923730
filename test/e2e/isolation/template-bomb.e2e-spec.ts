import { buildProject, type Build } from '../../support/build-ts';
import { eventually } from '../../support/eventually';
import { SECRETS_KEY, TestPlatform } from '../../support/platform';
import { ServiceProcess } from '../../support/service-process';
import { SmtpSink } from '../../support/smtp-sink';
import { WebhookSink } from '../../support/webhook-sink';

/** Small, so a notifier that tries to render the bomb dies in seconds rather than at 4 GB. */
const HEAP_MB = 160;

const nested = (names: string[]) =>
  names.map((name) => `{{#payload.${name}}}`).join('') +
  '.' +
  [...names]
    .reverse()
    .map((name) => `{{/payload.${name}}}`)
    .join('');

/**
 * One app's template must not take the notifier down for everyone. Four nested sections over a
 * 400-element array ask for 400^4 repetitions: the renderer stops at its budget, the delivery
 * fails saying so, and the same notifier process goes on delivering another app's messages.
 */
describe('a combinatorial template against a real notifier process', () => {
  let build: Build;
  let platform: TestPlatform;
  let notifier: ServiceProcess;
  const smtp = new SmtpSink();
  const sink = new WebhookSink();

  beforeAll(async () => {
    [build] = await Promise.all([buildProject('tsconfig.build.json'), smtp.start(), sink.start()]);
    platform = await TestPlatform.start({ notifiers: 0, env: { SMTP_URL: smtp.url() } });
    notifier = ServiceProcess.start(build, 'notifier', {
      MONGODB_URI: platform.mongoUri,
      AMQP_URL: platform.amqpUrl,
      SECRETS_KEY,
      SMTP_URL: smtp.url(),
      TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
      SCHEDULER_INTERVAL: '50ms',
      LEASE_DURATION: '15s',
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
    });
    await notifier.waitForLog('running: consuming intake');
  }, 240_000);

  afterAll(async () => {
    await notifier?.stop('SIGKILL');
    await platform?.stop();
    await smtp.stop();
    await sink.stop();
    await build?.remove();
  });

  /** Fails at once, with what it logged, when the notifier process is gone. */
  function alive(): void {
    if (!notifier.running) {
      throw new Error(`the notifier process died; its last output:\n${notifier.logs.slice(-1500)}`);
    }
  }

  it('refuses at POST and PATCH a template that nests a section inside itself, naming the field', async () => {
    const app = await platform.createApp('static-check');
    const bomb = nested(['a', 'a', 'a', 'a']);
    const created = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'email',
      to: 'ops@static.test',
      template: { subject: 'x', text: bomb },
    });
    expect(created.status).toBe(400);
    expect(created.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: 'template.text',
          message: expect.stringContaining('inside itself'),
        }),
      ]),
    );

    const plain = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'email',
      to: 'ops@static.test',
      template: { text: 'hello' },
    });
    expect(plain.status).toBe(201);
    const deep =
      '{{#payload.a}}'.repeat(1) + nested(['b', 'c', 'd', 'e', 'f', 'g']) + '{{/payload.a}}';
    const patched = await platform.request('PATCH', `/v1/endpoints/${plain.body.id}`, app.apiKey, {
      template: { html: deep },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: 'template.html',
          message: expect.stringContaining('deep'),
        }),
      ]),
    );
  });

  it('fails the delivery on its rendering budget and keeps delivering another app', async () => {
    const hostile = await platform.createApp('hostile');
    const other = await platform.createApp('other');
    // Distinct names, so the static check lets it through: only the budget can stop it.
    const endpoint = await platform.request('POST', '/v1/endpoints', hostile.apiKey, {
      channel: 'email',
      to: 'ops@hostile.test',
      template: { subject: 'bomb', text: nested(['a', 'b', 'c', 'd']) },
    });
    expect(endpoint.status).toBe(201);
    const hook = await platform.request('POST', '/v1/endpoints', other.apiKey, {
      channel: 'webhook',
      url: sink.url('/other'),
    });
    expect(hook.status).toBe(201);

    const list = Array.from({ length: 400 }, (_, i) => i);
    const bomb = await platform.request('POST', '/v1/messages', hostile.apiKey, {
      eventType: 'order.paid',
      payload: { a: list, b: list, c: list, d: list },
    });
    expect(bomb.status).toBe(202);

    const delivery = await eventually(
      async () => {
        alive();
        const { body } = await platform.request(
          'GET',
          `/v1/messages/${bomb.body.id}`,
          hostile.apiKey,
        );
        const found = body?.deliveries?.[0];
        return found?.status === 'failed' ? found : undefined;
      },
      { what: 'the bomb delivery to fail', timeoutMs: 30_000 },
    );
    expect(delivery.lastError).toMatch(/text template exceeds the rendering budget/);
    expect(delivery.attemptCount).toBe(1);
    const attempts = await platform.request(
      'GET',
      `/v1/messages/${bomb.body.id}/attempts`,
      hostile.apiKey,
    );
    expect(attempts.body.data).toEqual([
      expect.objectContaining({ outcome: 'failed', error: delivery.lastError }),
    ]);
    expect(smtp.mailsTo('ops@hostile.test')).toHaveLength(0);

    // The same process, still up, delivers the other app's message.
    const fine = await platform.request('POST', '/v1/messages', other.apiKey, {
      eventType: 'user.created',
      payload: { id: 1 },
    });
    await eventually(
      () => {
        alive();
        return sink.requestsTo('/other').some((r) => r.headers['webhook-id'] === fine.body.id)
          ? true
          : undefined;
      },
      { what: "the other app's message to be delivered" },
    );
    alive();
  }, 90_000);
});

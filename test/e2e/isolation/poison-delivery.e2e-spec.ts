import { buildProject, type Build } from '../../support/build-ts';
import { eventually } from '../../support/eventually';
import { SECRETS_KEY, TestPlatform } from '../../support/platform';
import { ServiceProcess } from '../../support/service-process';
import { WebhookSink } from '../../support/webhook-sink';

/**
 * A delivery whose attempt takes its notifier down must not go round the fleet for ever. Real
 * notifier processes die mid-attempt (SIGKILL, from the recipient's side or the test's); a
 * delivery whose attempts started and never ended POISON_AFTER_ABANDONED_ATTEMPTS times is failed
 * with a `poison:` reason, while deliveries that a dead notifier had only claimed are not counted.
 */
describe('poison deliveries: attempts that kill their notifier', () => {
  let build: Build;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    [build] = await Promise.all([buildProject('tsconfig.build.json'), sink.start()]);
    platform = await TestPlatform.start({ notifiers: 0 });
  }, 240_000);

  afterAll(async () => {
    for (const child of processes) await child.stop('SIGKILL');
    await platform?.stop();
    await sink.stop();
    await build?.remove();
  });

  function startNotifier(env: Record<string, string>): ServiceProcess {
    const child = ServiceProcess.start(build, 'notifier', {
      MONGODB_URI: platform.mongoUri,
      AMQP_URL: platform.amqpUrl,
      SECRETS_KEY,
      TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
      SCHEDULER_INTERVAL: '50ms',
      ...env,
    });
    processes.push(child);
    return child;
  }

  async function webhook(apiKey: string, path: string, extra: object = {}): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/endpoints', apiKey, {
      channel: 'webhook',
      url: sink.url(path),
      ...extra,
    });
    expect(status).toBe(201);
    return body.id;
  }

  async function publish(apiKey: string, payload: object = {}): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'order.paid',
      payload,
    });
    expect(status).toBe(202);
    return body.id;
  }

  const deliveryOf = (messageId: string) =>
    platform.db.collection('deliveries').findOne({ messageId });

  it('fails a delivery as poison after its attempt killed three notifiers in turn', async () => {
    const app = await platform.createApp('poison');
    await webhook(app.apiKey, '/deadly');
    let current: ServiceProcess | undefined;
    // The recipient's side of a poison message: receiving it takes the notifier down.
    sink.on('/deadly', () => {
      current?.child.kill('SIGKILL');
      return { status: 200, delayMs: 5_000 };
    });
    const env = { LEASE_DURATION: '15s' };

    current = startNotifier(env);
    await current.waitForLog('running: consuming intake');
    const messageId = await publish(app.apiKey);
    for (let death = 1; death <= 3; death++) {
      const exit = await current.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(sink.requestsTo('/deadly')).toHaveLength(death);
      expect(await deliveryOf(messageId)).toMatchObject({ status: 'pending', attemptCount: 0 });
      // The next notifier claims it when the lease runs out.
      current = startNotifier(env);
    }

    const failed = await eventually(
      async () => {
        const { body } = await platform.request('GET', `/v1/messages/${messageId}`, app.apiKey);
        return body.status === 'failed' ? body : undefined;
      },
      { what: 'the delivery to be failed as poison', timeoutMs: 45_000 },
    );
    expect(failed.deliveries[0].lastError).toMatch(
      /^poison: 3 attempts started and never ended \(the last at .+\)/,
    );
    expect(current.running).toBe(true);
    // The fourth notifier did not send it again.
    expect(sink.requestsTo('/deadly')).toHaveLength(3);
    const attempts = await platform.request(
      'GET',
      `/v1/messages/${messageId}/attempts`,
      app.apiKey,
    );
    expect(attempts.body.data).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'failed',
        error: failed.deliveries[0].lastError,
      }),
    ]);
    expect(await deliveryOf(messageId)).toMatchObject({
      status: 'failed',
      abandonedAttempts: 3,
      attemptStartedAt: null,
      claimToken: null,
    });
    await current.stop('SIGTERM');
  }, 180_000);

  it('does not count deliveries that a killed notifier had claimed but not started', async () => {
    const app = await platform.createApp('claimed');
    // One attempt at a time to this endpoint; the rest of its claimed deliveries wait in the
    // notifier for their turn (ADR 0006), which needs a lease of a few attempt timeouts.
    await webhook(app.apiKey, '/busy', { timeoutMs: 10_000 });
    const env = { LEASE_DURATION: '45s', ENDPOINT_CONCURRENCY: '1' };
    let hang = false;
    sink.on('/busy', () => (hang ? { status: 200, delayMs: 15_000 } : { status: 200 }));

    const victim = startNotifier(env);
    await victim.waitForLog('running: consuming intake');
    // A quick answer first, so the notifier knows the endpoint's pace and lets others wait.
    const warmUp = await publish(app.apiKey, { n: 0 });
    await eventually(
      async () => ((await deliveryOf(warmUp))?.status === 'succeeded' ? true : undefined),
      {
        what: 'the warm-up delivery',
      },
    );

    hang = true;
    const started = await publish(app.apiKey, { n: 1 });
    await eventually(() => (sink.requestsTo('/busy').length === 2 ? true : undefined), {
      what: 'the hanging attempt to be in flight',
    });
    const waiting = [await publish(app.apiKey, { n: 2 }), await publish(app.apiKey, { n: 3 })];
    // Claimed by the victim and waiting there behind the hanging attempt, never started.
    await eventually(
      async () => {
        const docs = await platform.db
          .collection('deliveries')
          .find({ messageId: { $in: waiting } })
          .toArray();
        return docs.length === 2 && docs.every((d) => d.claimToken !== null) ? docs : undefined;
      },
      { what: 'the other two deliveries to be claimed' },
    );
    expect(victim.running).toBe(true);
    expect(await victim.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const afterKill = await platform.db
      .collection('deliveries')
      .find({ messageId: { $in: [started, ...waiting] } })
      .toArray();
    const byMessage = new Map(afterKill.map((d) => [d.messageId as string, d]));
    expect(byMessage.get(started)!.attemptStartedAt).toBeInstanceOf(Date);
    for (const id of waiting) {
      expect(byMessage.get(id)).toMatchObject({ status: 'pending', attemptCount: 0 });
      expect(byMessage.get(id)!.attemptStartedAt ?? null).toBeNull();
    }

    // With a threshold of one abandoned attempt: the started one is poison, the others are not.
    hang = false;
    startNotifier({ ...env, POISON_AFTER_ABANDONED_ATTEMPTS: '1' });
    await eventually(
      async () => {
        const docs = await Promise.all([started, ...waiting].map(deliveryOf));
        return docs.every((d) => d?.status !== 'pending') ? true : undefined;
      },
      { what: 'the three deliveries to end after the lease', timeoutMs: 90_000 },
    );
    expect(await deliveryOf(started)).toMatchObject({
      status: 'failed',
      abandonedAttempts: 1,
      lastError: expect.stringMatching(/^poison: 1 attempt started and never ended/),
    });
    for (const id of waiting) {
      const delivery = await deliveryOf(id);
      expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 1 });
      expect(delivery!.abandonedAttempts ?? 0).toBe(0);
    }
  }, 180_000);
});

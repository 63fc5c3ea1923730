import { buildProject, type Build } from '../../support/build-ts';
import { eventually } from '../../support/eventually';
import { SECRETS_KEY, TestPlatform } from '../../support/platform';
import { ServiceProcess } from '../../support/service-process';
import { WebhookSink } from '../../support/webhook-sink';
import { EndpointGate } from '../../../apps/notifier/src/isolation/endpoint-gate';

const LEASE = '15s';

/**
 * Notifiers as real processes (the built dist), stopped the two ways production stops them:
 * SIGTERM (graceful: stop consuming and claiming, finish what is in flight, write it down, exit 0)
 * and SIGKILL (nothing is finished; leases expire and another notifier does the work).
 */
describe('notifier processes: SIGTERM and SIGKILL', () => {
  let build: Build;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let app: { id: string; apiKey: string };
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    [build] = await Promise.all([buildProject('tsconfig.build.json'), sink.start()]);
    // The API in this process; the notifiers are the test's own processes.
    platform = await TestPlatform.start({ notifiers: 0, env: { LEASE_DURATION: LEASE } });
    app = await platform.createApp('crash');
  }, 240_000);

  afterAll(async () => {
    for (const child of processes) await child.stop('SIGKILL');
    await platform?.stop();
    await sink.stop();
    await build?.remove();
  });

  function startNotifier(env: Record<string, string> = {}): ServiceProcess {
    const child = ServiceProcess.start(build, 'notifier', {
      MONGODB_URI: platform.mongoUri,
      AMQP_URL: platform.amqpUrl,
      SECRETS_KEY,
      TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
      SCHEDULER_INTERVAL: '50ms',
      LEASE_DURATION: LEASE,
      ...env,
    });
    processes.push(child);
    return child;
  }

  async function endpoint(path: string, eventTypes: string[]): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url(path),
      eventTypes,
    });
    expect(status).toBe(201);
    return body.id;
  }

  async function publish(eventType: string, payload: object): Promise<string> {
    const { status, body } = await platform.request('POST', '/v1/messages', app.apiKey, {
      eventType,
      payload,
    });
    expect(status).toBe(202);
    return body.id;
  }

  it('on SIGTERM stops taking work, finishes the attempts in flight, writes their outcomes and exits 0', async () => {
    await endpoint('/slow', ['slow.*']);
    await endpoint('/later', ['later.*']);
    sink.on('/slow', () => ({ status: 200, delayMs: 2_000 }));
    const notifier = startNotifier({ ENDPOINT_CONCURRENCY: '2' });
    await notifier.waitForLog('running: consuming intake');

    const slow: string[] = [];
    for (let i = 0; i < 5; i++) slow.push(await publish('slow.sent', { i }));
    await eventually(() => (sink.requestsTo('/slow').length === 2 ? true : undefined), {
      what: 'two attempts to be in flight',
    });

    const sentAt = Date.now();
    notifier.child.kill('SIGTERM');
    // Published while it shuts down, once it has stopped consuming: it must not take this one.
    await notifier.waitForLog('intake stopped: messages published from now on stay in the queue');
    const later = await publish('later.sent', {});
    const exit = await notifier.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // It waited for the two answers (2 s each), not for anything else.
    expect(Date.now() - sentAt).toBeGreaterThan(1_500);
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    expect(notifier.logs).toContain('SIGTERM received, shutting down');
    expect(notifier.logs).toContain('every attempt in flight finished and its outcome is written');

    // Both attempts in flight are recorded as delivered; the three over ENDPOINT_CONCURRENCY were
    // never started and hold no claim; the message published during shutdown was not taken.
    const deliveries = await platform.db
      .collection('deliveries')
      .find({ messageId: { $in: slow } })
      .toArray();
    expect(deliveries.filter((d) => d.status === 'succeeded' && d.attemptCount === 1)).toHaveLength(
      2,
    );
    const waiting = deliveries.filter((d) => d.status === 'pending');
    expect(waiting).toHaveLength(3);
    expect(waiting.every((d) => d.claimToken === null && d.attemptCount === 0)).toBe(true);
    expect(await platform.db.collection('messages').countDocuments({ _id: later as any })).toBe(0);
    expect(sink.requestsTo('/later')).toHaveLength(0);

    // The next notifier does the rest, without repeating the two that were delivered.
    sink.on('/slow', () => ({ status: 200 }));
    const next = startNotifier();
    await eventually(
      () =>
        sink.requestsTo('/slow').length === 5 && sink.requestsTo('/later').length === 1
          ? true
          : undefined,
      { what: 'the rest to be delivered by the next notifier', timeoutMs: 20_000 },
    );
    const ids = sink.requestsTo('/slow').map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(5);
    expect((await next.stop('SIGTERM')).code).toBe(0);
  });

  it('after a SIGKILL, the work it held is finished by another notifier once its lease expires', async () => {
    await endpoint('/killed', ['killed.*']);
    // The first request never gets an answer: the process dies holding that attempt.
    let hanging = true;
    sink.on('/killed', () => (hanging ? { status: 200, delayMs: 30_000 } : { status: 200 }));
    const victim = startNotifier();
    await victim.waitForLog('running: consuming intake');
    const first = await publish('killed.sent', { n: 0 });
    await eventually(() => (sink.requestsTo('/killed').length === 1 ? true : undefined), {
      what: 'the first attempt to be in flight',
    });
    // More messages arrive while it is stuck; then it is killed without warning.
    hanging = false;
    const rest: string[] = [];
    for (let i = 1; i <= 20; i++) rest.push(await publish('killed.sent', { n: i }));
    const killedAt = Date.now();
    expect(await victim.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    startNotifier();
    const delivered = await eventually(
      () => {
        const ids = new Set(
          sink
            .requestsTo('/killed')
            .slice(1)
            .map((r) => r.headers['webhook-id']),
        );
        return [first, ...rest].every((id) => ids.has(id)) ? Date.now() : undefined;
      },
      { what: 'every message to be delivered after the kill', timeoutMs: 45_000 },
    );
    // The one it held came back only when its lease (15 s) ran out: at-least-once, never lost.
    expect(delivered - killedAt).toBeGreaterThan(10_000);
    const received = sink.requestsTo('/killed').map((r) => r.headers['webhook-id']);
    expect(received.filter((id) => id === first)).toHaveLength(2);
    await eventually(
      async () => {
        const messages = await platform.db
          .collection('messages')
          .countDocuments({ _id: { $in: [first, ...rest] as any[] }, status: 'delivered' });
        return messages === 21 ? true : undefined;
      },
      // Generous: on a loaded 2-core machine the replacement's outcome writes lag behind the sink.
      { what: 'all 21 messages to be marked delivered', timeoutMs: 60_000 },
    );
  }, 180_000);

  it('recomputes a message status that a notifier killed between its two writes left pending', async () => {
    await endpoint('/repaired', ['repaired.*']);
    sink.on('/repaired', () => ({ status: 200 }));
    const notifier = startNotifier();
    await notifier.waitForLog('running: consuming intake');
    const id = await publish('repaired.sent', {});
    const status = async () =>
      (await platform.request('GET', `/v1/messages/${id}`, app.apiKey)).body.status as string;
    const settled = async () =>
      (await platform.db.collection('status_refreshes').countDocuments({ messageIds: id })) === 0
        ? true
        : undefined;
    await eventually(async () => ((await status()) === 'delivered' ? true : undefined), {
      what: 'the message to be delivered',
    });
    await eventually(settled, { what: 'the refresh its outcome owed to be settled' });
    // What a SIGKILL right after the outcome write leaves: the delivery ended, the refresh its
    // batch owed still written down, the message's status not yet recomputed.
    const longAgo = new Date(Date.now() - 60_000);
    await platform.db
      .collection('status_refreshes')
      .insertOne({ _id: 'killed-writer:1' as any, messageIds: [id], writtenAt: longAgo });
    await platform.db
      .collection('messages')
      .updateOne({ _id: id as any }, { $set: { status: 'pending' } });
    expect(await status()).toBe('pending');

    await eventually(async () => ((await status()) === 'delivered' ? true : undefined), {
      what: 'the running notifier to repair the status',
      timeoutMs: 20_000,
    });
    // Nothing but the repair recomputes it (the delivery had ended); then it is owed no more.
    await eventually(settled, { what: 'the repaired refresh to be settled' });
    expect((await notifier.stop('SIGTERM')).code).toBe(0);
  });
});

describe('notifier shutdown hands back what it claimed but did not start', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({ env: { LEASE_DURATION: LEASE } });
  });

  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  it('gives the claim up, due now, so another notifier need not wait for the lease', async () => {
    const app = await platform.createApp();
    await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/handed-back'),
    });
    // The notifier has begun shutting down: intake still stores what it holds and claims it...
    platform.notifiers[0]!.get(EndpointGate).close();
    const { body } = await platform.request('POST', '/v1/messages', app.apiKey, {
      eventType: 'order.paid',
      payload: {},
    });
    const delivery = await eventually(async () => {
      const found = await platform.db.collection('deliveries').findOne({ messageId: body.id });
      return found !== null && found.claimToken === null ? found : undefined;
    });
    // ... but does not start it: it is handed back unattempted, due at once.
    expect(delivery).toMatchObject({ status: 'pending', attemptCount: 0 });
    expect(Date.now() - delivery.nextAttemptAt.getTime()).toBeLessThan(5_000);
    expect(sink.requestsTo('/handed-back')).toHaveLength(0);

    const startedAt = Date.now();
    await platform.startNotifier();
    await eventually(() => (sink.requestsTo('/handed-back').length === 1 ? true : undefined), {
      what: 'another notifier to deliver it',
    });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});

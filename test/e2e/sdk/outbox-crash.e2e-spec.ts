import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Outbox, type OutboxEntry } from '@app/client';
import { buildProject, REPO_ROOT, type Build } from '../../support/build-ts';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { producerDb, type ProducerDb } from '../../support/producer-db';
import { WebhookSink } from '../../support/webhook-sink';

/**
 * The relay as its own process, SIGKILLed while a producer keeps committing orders, at a point
 * the test chooses (a batch confirmed by the broker, not yet marked sent): a second relay
 * publishes everything left, and the recipient gets every order's message exactly once.
 */
describe('SDK: outbox relay killed mid-run', () => {
  let build: Build;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let app: { id: string; apiKey: string };
  let shop: ProducerDb;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [build] = await Promise.all([
      buildProject('test/support/children/tsconfig.json'),
      sink.start(),
    ]);
    platform = await TestPlatform.start();
    app = await platform.createApp('crash');
    await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/orders'),
    });
    shop = await producerDb('crash');
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await shop?.drop();
    await platform?.stop();
    await sink.stop();
    await build?.remove();
  });

  async function startRelay(
    options: { haltAfterPublished?: number } = {},
  ): Promise<{ child: ChildProcess; output: () => string }> {
    const script = join(build.outDir, 'test/support/children/outbox-relay.child.js');
    const config = {
      mongoUri: shop.uri,
      amqpUrl: platform.amqpUrl,
      appId: app.id,
      leaseMs: 1_500,
      batchSize: 5,
      ...options,
    };
    const child = spawn(process.execPath, [script, JSON.stringify(config)], { cwd: REPO_ROOT });
    children.push(child);
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => (output.includes('ready') ? true : undefined), {
      what: `the relay child to start (${output})`,
    });
    return { child, output: () => output };
  }

  it('publishes every committed order exactly once across a SIGKILL', async () => {
    const outbox = new Outbox(shop.db, { appId: app.id });
    await outbox.ensureIndexes();
    const entries: OutboxEntry[] = [];
    const placeOrder = async (n: number) => {
      const session = shop.client.startSession();
      try {
        let entry: OutboxEntry | undefined;
        // The callback may run again on a transient error: keep only the committed run's entry.
        await session.withTransaction(async () => {
          await shop.db.collection('orders').insertOne({ n }, { session });
          entry = await outbox.write(session, { eventType: 'order.paid', payload: { n } });
        });
        entries.push(entry!);
      } finally {
        await session.endSession();
      }
    };

    // The relay stops (for good, without exiting) in the round that brings its confirmed
    // publishes to 20: that batch is claimed and confirmed but not marked sent. Orders keep
    // coming until then, so the kill below always lands in the middle of a run.
    const first = await startRelay({ haltAfterPublished: 20 });
    let n = 0;
    while (!first.output().includes('halted')) {
      if (first.child.exitCode !== null) throw new Error(`the relay exited: ${first.output()}`);
      await placeOrder(n++);
    }
    const heldAtKill = await outbox.collection.countDocuments({
      status: 'pending',
      claimToken: { $ne: null },
    });
    expect(heldAtKill).toBeGreaterThan(0);
    expect(await outbox.collection.countDocuments({ status: 'sent' })).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const pendingAtKill = await outbox.countPending();
    expect(pendingAtKill).toBeGreaterThanOrEqual(heldAtKill);
    // More orders while no relay runs at all: committed, waiting in the outbox.
    for (let i = 0; i < 20; i++) await placeOrder(n++);

    await startRelay();
    await eventually(async () => ((await outbox.countPending()) === 0 ? true : undefined), {
      what: 'the second relay to publish everything left',
      timeoutMs: 30_000,
    });

    const ids = entries.map((entry) => entry.messageId);
    expect(new Set(ids).size).toBe(n);
    await eventually(
      () => {
        const received = new Set(sink.requestsTo('/orders').map((r) => r.headers['webhook-id']));
        return ids.every((id) => received.has(id)) ? true : undefined;
      },
      { what: `all ${n} orders to reach the recipient`, timeoutMs: 30_000 },
    );
    const webhookIds = sink.requestsTo('/orders').map((r) => r.headers['webhook-id'] as string);
    expect(webhookIds.sort()).toEqual([...ids].sort());
    expect(await platform.db.collection('messages').countDocuments({ appId: app.id })).toBe(n);
  });
});

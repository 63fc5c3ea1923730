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
 * The relay as its own process, SIGKILLed while a producer keeps committing orders: whatever
 * the kill interrupted (a claim, a publish, the mark), a second relay publishes everything left,
 * and the recipient gets every order's message exactly once.
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

  async function startRelay(): Promise<ChildProcess> {
    const script = join(build.outDir, 'test/support/children/outbox-relay.child.js');
    const config = {
      mongoUri: shop.uri,
      amqpUrl: platform.amqpUrl,
      appId: app.id,
      leaseMs: 1_500,
      batchSize: 5,
    };
    const child = spawn(process.execPath, [script, JSON.stringify(config)], { cwd: REPO_ROOT });
    children.push(child);
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => (output.includes('ready') ? true : undefined), {
      what: `the relay child to start (${output})`,
    });
    return child;
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

    const first = await startRelay();
    let n = 0;
    // Orders keep coming while the relay works; it dies with some sent and some not.
    while ((await outbox.collection.countDocuments({ status: 'sent' })) < 20) {
      await placeOrder(n++);
    }
    // A burst in one transaction just before the kill: the relay (5 per round) is mid-way through
    // it when it dies, whatever the machine's speed.
    const burst = shop.client.startSession();
    const numbers = Array.from({ length: 30 }, () => n++);
    try {
      let written: OutboxEntry[] = [];
      await burst.withTransaction(async () => {
        await shop.db.collection('orders').insertMany(
          numbers.map((number) => ({ n: number })),
          { session: burst },
        );
        written = await outbox.writeMany(
          burst,
          numbers.map((number) => ({ eventType: 'order.paid', payload: { n: number } })),
        );
      });
      entries.push(...written);
    } finally {
      await burst.endSession();
    }
    await eventually(async () =>
      (await outbox.collection.countDocuments({ claimToken: { $ne: null } })) > 0
        ? true
        : undefined,
    );
    first.kill('SIGKILL');
    await once(first, 'exit');
    const pendingAtKill = await outbox.countPending();
    expect(pendingAtKill).toBeGreaterThan(0);
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

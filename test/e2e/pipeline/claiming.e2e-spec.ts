import { EndpointGate } from '../../../apps/notifier/src/isolation/endpoint-gate';
import { Clock } from '@app/common';
import { DeliveryRepository, ServerClock } from '@app/dal';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { attemptsOf, createEndpoint, messageWithStatus, publish, sleep } from './pipeline-helpers';

const MESSAGES = 300;

describe('pipeline: claiming with two notifiers', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({ notifiers: 2 });
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });

  it('delivers every message, and attempts each delivery exactly once per scheduled attempt', async () => {
    // Every notifier's attempts, counted where they start (admitted by the endpoint gate; one a
    // gate postpones is handed back unattempted): both must take part.
    const started = platform.notifiers.map((notifier) => {
      const gate = notifier.get(EndpointGate);
      const count = { deliveries: 0 };
      const admit = gate.admit.bind(gate);
      gate.admit = async (...args) => {
        const admitted = await admit(...args);
        count.deliveries += admitted.length;
        return admitted;
      };
      return count;
    });
    const app = await platform.createApp();
    await createEndpoint(platform, app.apiKey, {
      url: sink.url('/busy'),
      retrySchedule: ['200ms'],
    });
    // The first attempt of every message fails, so the retries race through both schedulers.
    const seen = new Map<string, number>();
    sink.on('/busy', (request) => {
      const id = request.headers['webhook-id'] as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return seen.get(id) === 1 ? { status: 503 } : { status: 200 };
    });

    await Promise.all(
      Array.from({ length: MESSAGES }, (_, n) =>
        platform.publishAmqp(
          { eventType: 'order.paid', payload: { n } },
          { headers: { 'x-app-id': app.id } },
        ),
      ),
    );

    const messages = platform.db.collection('messages');
    await eventually(
      async () =>
        (await messages.countDocuments({ appId: app.id, status: 'delivered' })) === MESSAGES
          ? true
          : undefined,
      { timeoutMs: 40_000, what: `all ${MESSAGES} messages to be delivered` },
    );
    await sleep(500); // room for a stray duplicate to show up

    expect(seen.size).toBe(MESSAGES);
    expect([...seen.values()].filter((count) => count !== 2)).toEqual([]);
    expect(sink.requestsTo('/busy')).toHaveLength(2 * MESSAGES);

    const attempts = await platform.db
      .collection('attempts')
      .aggregate<{ _id: string; numbers: number[] }>([
        { $match: { appId: app.id } },
        { $group: { _id: '$deliveryId', numbers: { $push: '$attempt' } } },
      ])
      .toArray();
    expect(attempts).toHaveLength(MESSAGES);
    const wrong = attempts.filter((d) => [...d.numbers].sort().join() !== '1,2');
    expect(wrong).toEqual([]);

    const deliveries = platform.db.collection('deliveries');
    expect(await deliveries.countDocuments({ appId: app.id })).toBe(MESSAGES);
    expect(
      await deliveries.countDocuments({ appId: app.id, status: 'succeeded', attemptCount: 2 }),
    ).toBe(MESSAGES);

    expect(started.reduce((sum, count) => sum + count.deliveries, 0)).toBe(2 * MESSAGES);
    for (const count of started) expect(count.deliveries).toBeGreaterThan(0);
  });

  it('lets a live notifier take over a delivery whose worker died holding its lease', async () => {
    const app = await platform.createApp('lease');
    await createEndpoint(platform, app.apiKey, { url: sink.url('/lease'), retrySchedule: ['1h'] });
    sink.on('/lease', (_request, n) => (n === 1 ? { status: 500 } : { status: 200 }));

    const id = await publish(platform, app.apiKey, { eventType: 'order.paid', payload: {} });
    const pending = await eventually(async () => {
      const { body } = await platform.request('GET', `/v1/messages/${id}`, app.apiKey);
      return body.deliveries?.[0]?.attemptCount === 1 ? body.deliveries[0] : undefined;
    });
    expect(pending.status).toBe('pending');

    // What a worker that claimed the retry and then died leaves behind.
    const leaseEndsAt = Date.now() + 1_000;
    const deliveries = platform.db.collection('deliveries');
    const { modifiedCount } = await deliveries.updateOne(
      { _id: pending.id },
      {
        $set: { claimToken: 'dead-worker', nextAttemptAt: new Date(leaseEndsAt) },
      },
    );
    expect(modifiedCount).toBe(1);

    const message = await messageWithStatus(platform, app.apiKey, id, 'delivered');
    const [, retry] = sink.requestsTo('/lease');
    expect(retry!.at).toBeGreaterThanOrEqual(leaseEndsAt);
    expect(retry!.at).toBeLessThan(leaseEndsAt + 3_000);
    expect(message.deliveries[0]).toMatchObject({ status: 'succeeded', attemptCount: 2 });
    expect((await attemptsOf(platform, app.apiKey, id)).map((a) => a.attempt)).toEqual([1, 2]);
    const stored = await deliveries.findOne({ _id: pending.id });
    expect(stored?.claimToken).toBeNull();

    // The dead worker's late outcome is fenced off by its stale claim token.
    await platform.notifiers[0]!.get(DeliveryRepository).recordOutcomes([
      {
        deliveryId: pending.id,
        claimToken: 'dead-worker',
        update: {
          status: 'failed',
          attemptCount: 2,
          nextAttemptAt: null,
          lastAttemptAt: new Date(),
          lastError: 'stale',
          deliveredAt: null,
          updatedAt: new Date(),
        },
      },
    ]);
    expect(await deliveries.findOne({ _id: pending.id } as any)).toMatchObject({
      status: 'succeeded',
      lastError: null,
    });
  });

  it("claims and leases on MongoDB's clock in every notifier (ADR 0008)", () => {
    // What each notifier's scheduler, intake and dispatcher take "now" from; the skewed-host
    // case is libs/dal/src/shared/server-clock.int-spec.ts.
    for (const notifier of platform.notifiers) {
      expect(notifier.get(Clock)).toBe(notifier.get(ServerClock));
    }
  });
});

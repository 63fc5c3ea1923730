import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalMongo, type LocalMongo } from '@app/local-mongodb';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';

/**
 * MongoDB goes away under a running platform: intake stops acknowledging (the broker keeps the
 * messages), /health names mongodb, producers the API authenticated before keep publishing over
 * HTTP, and once the same database is back every message published during the outage is stored
 * and delivered.
 */
describe('MongoDB outage', () => {
  let dataDir: string;
  let mongo: LocalMongo;
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let appId: string;
  let apiKey: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'notify-outage-'));
    mongo = await startLocalMongo({ dbPath: dataDir });
    await sink.start();
    platform = await TestPlatform.start({ mongoUri: mongo.uri });
    const app = await platform.createApp();
    appId = app.id;
    apiKey = app.apiKey;
    const endpoint = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/outage'),
    });
    expect(endpoint.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await platform.stop();
    await mongo.stop();
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps messages in the broker while MongoDB is down and delivers them once it is back', async () => {
    const port = Number(new URL(mongo.uri).port);
    await mongo.stop();

    const health = await eventually(async () => {
      const response = await platform.request('GET', '/health');
      return response.status === 503 ? response.body : undefined;
    });
    expect(health.checks).toEqual({ mongodb: 'down', rabbitmq: 'up' });
    // Not ready (no primary), but alive: an orchestrator must not restart it for this.
    const ready = await platform.request('GET', '/health/ready');
    expect(ready).toMatchObject({ status: 503, body: { error: 'mongodb down' } });
    expect((await platform.request('GET', '/health/live')).status).toBe(200);
    const read = await platform.request('GET', '/v1/messages/msg_missing', apiKey);
    expect(read.status).toBe(503);
    expect(read.body.error.code).toBe('dependency_unavailable');

    // A key this API checked before the outage still publishes (over the broker, which keeps it),
    // at once rather than after the driver's server selection timeout; one it never saw gets 503.
    const startedAt = Date.now();
    const httpPublish = await platform.request('POST', '/v1/messages', apiKey, {
      eventType: 'order.paid',
      payload: { n: 'http' },
    });
    expect(httpPublish.status).toBe(202);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    const stranger = await platform.request('POST', '/v1/messages', 'ak_never_seen_before', {
      eventType: 'order.paid',
      payload: { n: 'stranger' },
    });
    expect(stranger.status).toBe(503);

    const published = 20;
    for (let i = 0; i < published; i++) {
      await platform.publishAmqp(
        { eventType: 'order.paid', payload: { n: i } },
        { headers: { 'x-app-id': appId } },
      );
    }
    // Nothing can be stored, so nothing is acknowledged: the broker still holds all of them.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sink.requestsTo('/outage')).toHaveLength(0);

    mongo = await startLocalMongo({ dbPath: dataDir, port });
    await eventually(
      () => {
        const seen = new Set(sink.requestsTo('/outage').map((r) => JSON.parse(r.body).data.n));
        return seen.size === published + 1 ? seen : undefined;
      },
      { what: 'every message published during the outage to arrive', timeoutMs: 60_000 },
    );
    const back = await platform.request('GET', '/health');
    expect(back.status).toBe(200);
  });
});

import { MetricsServer } from '../../../apps/notifier/src/metrics/metrics.server';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { whenReady } from '../../support/ready';
import { WebhookSink } from '../../support/webhook-sink';
import { ApiClient } from './api-helpers';

/** Every route CONTRACT.md names, as OpenAPI writes it. */
const ROUTES = [
  ['post', '/v1/apps'],
  ['get', '/v1/apps'],
  ['get', '/v1/dead-letters/refused'],
  ['get', '/v1/apps/{id}'],
  ['patch', '/v1/apps/{id}'],
  ['post', '/v1/apps/{id}/rotate-key'],
  ['post', '/v1/endpoints'],
  ['get', '/v1/endpoints'],
  ['get', '/v1/endpoints/{id}'],
  ['patch', '/v1/endpoints/{id}'],
  ['delete', '/v1/endpoints/{id}'],
  ['post', '/v1/endpoints/{id}/rotate-secret'],
  ['post', '/v1/endpoints/{id}/rotate-recipient-token'],
  ['post', '/v1/endpoints/{id}/recover'],
  ['post', '/v1/messages'],
  ['get', '/v1/messages'],
  ['get', '/v1/messages/{id}'],
  ['get', '/v1/messages/{id}/attempts'],
  ['post', '/v1/messages/{id}/redeliver'],
  ['post', '/v1/deliveries/{id}/redeliver'],
  ['get', '/v1/inbox'],
  ['get', '/v1/inbox/{messageId}'],
  ['post', '/v1/inbox/{messageId}/ack'],
  ['get', '/health'],
  ['get', '/metrics'],
] as const;

/** Value of one sample in Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operations: OpenAPI and metrics', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({
      // Every scrape counts the backlog afresh: the tests below watch it change.
      env: { RETRY_SCHEDULE: '100ms', METRICS_PORT: '0', METRICS_BACKLOG_MAX_AGE: '0ms' },
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  describe('GET /docs-json', () => {
    let document: any;

    beforeAll(async () => {
      const { status, body } = await platform.request('GET', '/docs-json');
      expect(status).toBe(200);
      document = body;
    });

    it('is an OpenAPI 3 document listing every route of the contract', () => {
      expect(document.openapi).toMatch(/^3\./);
      const listed = Object.entries(document.paths as Record<string, object>).flatMap(
        ([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`),
      );
      for (const [method, path] of ROUTES) expect(listed).toContain(`${method} ${path}`);
    });

    it('gives every JSON route a success schema with an example, and bodies their schema', () => {
      for (const [method, path] of ROUTES) {
        const operation = document.paths[path][method];
        const success = Object.entries(operation.responses as Record<string, any>).find(
          ([status]) => status.startsWith('2'),
        );
        expect(success).toBeDefined();
        const [status, response] = success!;
        if (status === '204' || path === '/metrics') continue;
        const schema = response.content?.['application/json']?.schema;
        expect({ route: `${method} ${path}`, hasSchema: schema?.type !== undefined }).toEqual({
          route: `${method} ${path}`,
          hasSchema: true,
        });
        expect(schema.example).toBeDefined();
      }
      for (const [method, path] of [
        ['post', '/v1/apps'],
        ['patch', '/v1/apps/{id}'],
        ['post', '/v1/apps/{id}/rotate-key'],
        ['post', '/v1/endpoints'],
        ['patch', '/v1/endpoints/{id}'],
        ['post', '/v1/endpoints/{id}/recover'],
        ['post', '/v1/messages'],
      ] as const) {
        const body = document.paths[path][method].requestBody;
        expect(body.content['application/json'].schema.properties).toBeDefined();
      }
    });

    it('derives request schemas from the zod contracts', () => {
      const createEndpoint =
        document.paths['/v1/endpoints'].post.requestBody.content['application/json'].schema;
      expect(createEndpoint.required).toContain('channel');
      expect(createEndpoint.properties.channel.enum).toEqual(['webhook', 'email', 'sms']);
      expect(createEndpoint.properties.timeoutMs.maximum).toBe(60000);
      const recover =
        document.paths['/v1/endpoints/{id}/recover'].post.requestBody.content['application/json']
          .schema;
      expect(recover.required).toEqual(['since']);
      const limit = document.paths['/v1/messages'].get.parameters.find(
        (p: any) => p.name === 'limit' && p.in === 'query',
      );
      expect(limit.schema).toMatchObject({ minimum: 1, maximum: 500, default: 50 });
      const status = document.paths['/v1/inbox'].get.parameters.find(
        (p: any) => p.name === 'status',
      );
      expect(status.schema.enum).toEqual(
        expect.arrayContaining(['pending', 'failed', 'succeeded', 'all']),
      );
      const since = document.paths['/v1/inbox'].get.parameters.find((p: any) => p.name === 'since');
      expect(since).toMatchObject({ in: 'query', schema: { format: 'date-time' } });
    });

    it('documents the error shape', () => {
      const notFound = document.paths['/v1/messages/{id}'].get.responses['404'];
      expect(notFound.content['application/json'].schema.properties.error).toBeDefined();
    });

    it('serves the UI at /docs', async () => {
      const response = await fetch(`${platform.baseUrl}/docs`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('swagger');
    });
  });

  describe('GET /metrics', () => {
    it('counts accepted messages, outcomes, attempt latency and the due backlog', async () => {
      const client = await ApiClient.forNewApp(platform);
      const ok = await client.createEndpoint({ url: sink.url('/ok'), eventTypes: ['ok.*'] });
      sink.on('/down', () => ({ status: 500 }));
      await client.createEndpoint({ url: sink.url('/down'), eventTypes: ['down.*'] });
      expect(ok.id).toBeDefined();

      const delivered = await client.publish({ eventType: 'ok.sent' });
      await client.messageWhen(delivered, (m) => m.status === 'delivered');
      const failed = await client.publish({ eventType: 'down.sent' });
      await client.messageWhen(failed, (m) => m.status === 'failed');

      const response = await fetch(`${platform.baseUrl}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      expect(sample(text, 'notify_messages_accepted_total{source="api"}')).toBe(2);
      expect(sample(text, 'notify_messages_accepted_total{source="intake"}')).toBe(2);
      expect(sample(text, 'notify_deliveries_total{outcome="succeeded"}')).toBe(1);
      expect(sample(text, 'notify_deliveries_total{outcome="retry_scheduled"}')).toBe(1);
      expect(sample(text, 'notify_deliveries_total{outcome="failed"}')).toBe(1);
      expect(
        sample(text, 'notify_delivery_attempt_duration_seconds_count{outcome="succeeded"}'),
      ).toBe(1);
      expect(sample(text, 'notify_delivery_attempt_duration_seconds_count{outcome="failed"}')).toBe(
        2,
      );
      expect(text).toContain('# TYPE notify_delivery_attempt_duration_seconds histogram');
      expect(sample(text, 'notify_delivery_backlog')).toBe(0);
    });

    it('reports deliveries that are due while no notifier claims them', async () => {
      const client = await ApiClient.forNewApp(platform);
      sink.on('/backlog', () => ({ status: 503 }));
      await client.createEndpoint({ url: sink.url('/backlog'), eventTypes: ['backlog.*'] });
      const id = await client.publish({ eventType: 'backlog.made' });
      await client.messageWhen(id, (m) => m.deliveries[0]?.attemptCount === 1);
      await platform.stopNotifier(platform.notifiers[0]!);
      // The notifier may have claimed the 100 ms retry before it stopped (its lease then hides it
      // for 15 s): with no notifier left, the test makes the delivery due and unclaimed itself.
      await platform.db.collection('deliveries').updateOne(
        { messageId: id },
        {
          $set: {
            status: 'pending',
            claimToken: null,
            nextAttemptAt: new Date(Date.now() - 1_000),
          },
        },
      );
      try {
        const text = await eventually(async () => {
          const body = await (await fetch(`${platform.baseUrl}/metrics`)).text();
          return sample(body, 'notify_delivery_backlog') === 1 ? body : undefined;
        });
        expect(text).toContain('# TYPE notify_delivery_backlog gauge');
      } finally {
        await platform.startNotifier();
      }
    });

    it('is served by a standalone notifier on METRICS_PORT', async () => {
      const notifier = platform.notifiers[0]!;
      const port = notifier.get(MetricsServer).port;
      expect(port).toBeGreaterThan(0);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('notify_deliveries_total');
      expect(text).toContain('notify_delivery_backlog');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    });

    it("serves the notifier's liveness and readiness beside its metrics", async () => {
      const port = platform.notifiers[0]!.get(MetricsServer).port;
      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      // Ready answers 503 while MongoDB misses its 1.5 s ping, as it may under the suite's load
      // (a CI run saw it beside the ordered-delivery load test): 200 once it answers in time.
      const ready = await whenReady(`http://127.0.0.1:${port}`, 'the notifier to answer ready');
      expect(await ready.json()).toEqual({
        status: 'ok',
        checks: { mongodb: 'up', rabbitmq: 'up' },
      });
    });
  });
});

import { randomBytes } from 'node:crypto';
import { MetricsServer } from '../../../apps/notifier/src/metrics/metrics.server';
import { TestPlatform } from '../../support/platform';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** Value of one sample in Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * /metrics counted every due delivery in MongoDB on every scrape, for anyone who asked: a loop of
 * scrapes was a loop of full counts over the deliveries collection. The count is cached, and
 * METRICS_TOKEN, when set, is required.
 */
describe('GET /metrics: who may scrape it, and what a scrape costs', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await TestPlatform.start({
      notifiers: 0,
      env: { METRICS_TOKEN, METRICS_BACKLOG_MAX_AGE: '1h' },
    });
  });

  afterAll(async () => {
    await platform.stop();
  });

  it('answers 401 without the token or with another one', async () => {
    for (const token of [undefined, 'metrics-token-wrong', 'test-admin-key-0123456789']) {
      const { status, body } = await platform.request('GET', '/metrics', token);
      expect(status).toBe(401);
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).toMatch(/METRICS_TOKEN/);
    }
  });

  it('serves the metrics with the token', async () => {
    const { status, body } = await platform.request('GET', '/metrics', METRICS_TOKEN);
    expect(status).toBe(200);
    expect(body).toContain('# TYPE notify_delivery_backlog gauge');
  });

  it('counts the backlog once per METRICS_BACKLOG_MAX_AGE, not on every scrape', async () => {
    const first = await platform.request<string>('GET', '/metrics', METRICS_TOKEN);
    const before = sample(first.body, 'notify_delivery_backlog');
    expect(before).toBeDefined();
    const due = new Date(Date.now() - 60_000);
    await platform.db.collection('deliveries').insertMany(
      Array.from({ length: 3 }, () => ({
        _id: `dlv_${randomBytes(8).toString('hex')}` as never,
        messageId: `msg_${randomBytes(8).toString('hex')}`,
        endpointId: 'ep_due',
        status: 'pending',
        nextAttemptAt: due,
      })),
    );
    const scrapes = await Promise.all(
      Array.from({ length: 5 }, () => platform.request<string>('GET', '/metrics', METRICS_TOKEN)),
    );
    for (const scrape of scrapes) {
      expect(sample(scrape.body, 'notify_delivery_backlog')).toBe(before);
    }
    // Without the cache the same scrapes see them (what the other suite's platform shows).
    expect(await platform.db.collection('deliveries').countDocuments({ status: 'pending' })).toBe(
      3,
    );
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await TestPlatform.start({ notifiers: 0 });
  });

  afterAll(async () => {
    await platform.stop();
  });

  it('stays open, as before', async () => {
    expect((await platform.request('GET', '/metrics')).status).toBe(200);
  });
});

describe("a standalone notifier's GET /metrics (METRICS_PORT) with METRICS_TOKEN", () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await TestPlatform.start({ env: { METRICS_TOKEN, METRICS_PORT: '0' } });
  });

  afterAll(async () => {
    await platform.stop();
  });

  it('wants the same token', async () => {
    const port = platform.notifiers[0]!.get(MetricsServer).port!;
    const url = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const scraped = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('notify_delivery_backlog');
  });
});

import { HEADER_APP_ID } from '@app/contracts';
import { ApiClient, badFields, expectErrorShape } from '../api/api-helpers';
import { eventually } from '../../support/eventually';
import { ADMIN_KEY, TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';

/** Quotas per app (CONTRACT.md, last section): what a hostile app can and cannot do. */
describe('quotas per app', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({
      env: {
        QUOTA_ENDPOINTS: '3',
        QUOTA_MIN_RETRY_DELAY: '100ms',
        SMS_PROVIDER: 'http',
        SMS_GATEWAY_URL: sink.url('/sms-gateway'),
      },
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  async function newApp(name: string): Promise<{ id: string; client: ApiClient }> {
    const app = await platform.createApp(name);
    return { id: app.id, client: new ApiClient(platform, app.apiKey) };
  }

  const patchApp = (id: string, body: unknown, key = ADMIN_KEY) =>
    platform.request('PATCH', `/v1/apps/${id}`, key, body);

  async function setQuotas(id: string, quotas: Record<string, unknown>): Promise<void> {
    const { status, body } = await patchApp(id, { quotas });
    expect({ status, body }).toMatchObject({ status: 200 });
  }

  describe('PATCH /v1/apps/:id', () => {
    it('sets quotas and the broker user, shows the quotas in force, and null goes back to the default', async () => {
      const { id } = await newApp('patched');
      const defaults = (await platform.request('GET', `/v1/apps/${id}`, ADMIN_KEY)).body;
      expect(defaults).toMatchObject({
        id,
        brokerUser: null,
        quotas: { endpoints: 3, minRetryDelay: 100, messagesPerSecond: 1000, smsPerHour: 100 },
      });

      const patched = await patchApp(id, {
        quotas: { endpoints: 7, messagesPerSecond: 20, minRetryDelay: '2s' },
        brokerUser: 'shop-publisher',
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({
        ...defaults,
        quotas: { ...defaults.quotas, endpoints: 7, messagesPerSecond: 20, minRetryDelay: 2000 },
        brokerUser: 'shop-publisher',
      });
      const listed = (await platform.request('GET', '/v1/apps?limit=100', ADMIN_KEY)).body.data;
      expect(listed.find((app: any) => app.id === id)).toEqual(patched.body);

      // Left out: unchanged. null: the default again.
      const cleared = await patchApp(id, { quotas: { endpoints: null }, brokerUser: null });
      expect(cleared.body.quotas).toEqual({
        ...defaults.quotas,
        messagesPerSecond: 20,
        minRetryDelay: 2000,
      });
      expect(cleared.body.brokerUser).toBeNull();
      expect((await patchApp(id, { quotas: null })).body).toEqual(defaults);
      expect(await patchApp(id, {})).toMatchObject({ status: 200, body: defaults });
      expect(await patchApp(id, { quotas: {} })).toMatchObject({ status: 200, body: defaults });
    });

    it('answers 400 naming bad or unknown fields, 404 for an unknown app, 403 to an app key', async () => {
      const { id, client } = await newApp('refused');
      const bad = await patchApp(id, {
        quotas: { endpoints: 0, messagesPerSecond: 'many', minRetryDelay: 'soon', bogus: 1 },
        brokerUser: 'has space',
      });
      expect(bad.status).toBe(400);
      expectErrorShape(bad.body, 'validation_failed');
      expect(badFields(bad.body)).toEqual(
        expect.arrayContaining([
          'quotas.endpoints',
          'quotas.messagesPerSecond',
          'quotas.minRetryDelay',
          'brokerUser',
        ]),
      );
      // A boolean (the event catalog's rule: test/e2e/catalog).
      const notBoolean = await patchApp(id, { requireRegisteredEventTypes: 'yes' });
      expect(notBoolean.status).toBe(400);
      expect(badFields(notBoolean.body)).toEqual(['requireRegisteredEventTypes']);

      const unknown = await patchApp('app_00000000000000000000000000000000', { quotas: {} });
      expect(unknown.status).toBe(404);
      expectErrorShape(unknown.body, 'not_found');
      expect((await patchApp(id, { quotas: { endpoints: 50 } }, client.apiKey)).status).toBe(403);
      expect(
        (await platform.request('GET', `/v1/apps/${id}`, ADMIN_KEY)).body.quotas.endpoints,
      ).toBe(3);
    });
  });

  describe('endpoints per app', () => {
    it('answers 409 quota_exceeded beyond the quota, and a place freed can be used again', async () => {
      const { client } = await newApp('many-endpoints');
      const created = [];
      for (let i = 0; i < 3; i++)
        created.push(await client.createEndpoint({ url: sink.url(`/e${i}`) }));
      const over = await client.request('POST', '/v1/endpoints', {
        channel: 'webhook',
        url: sink.url('/e3'),
      });
      expect(over.status).toBe(409);
      expectErrorShape(over.body, 'quota_exceeded');
      expect(over.body.error.message).toContain('3 endpoints');

      expect((await client.request('DELETE', `/v1/endpoints/${created[0].id}`)).status).toBe(204);
      await client.createEndpoint({ url: sink.url('/e4') });
    });

    it('never lets endpoints created at once go beyond the quota', async () => {
      const { client } = await newApp('endpoint-race');
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          client.request('POST', '/v1/endpoints', { channel: 'webhook', url: sink.url(`/r${i}`) }),
        ),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
      const listed = (await client.request('GET', '/v1/endpoints?limit=100')).body.data;
      expect(listed.length).toBeLessThanOrEqual(3);
      expect(listed.length).toBe(statuses.filter((status) => status === 201).length);
    });
  });

  describe('bounds on endpoint fields', () => {
    it('refuses retry delays under minRetryDelay and fields over the size quotas, naming each', async () => {
      const { id, client } = await newApp('bounded');
      await setQuotas(id, {
        retryScheduleLength: 3,
        eventTypesPerEndpoint: 2,
        headersBytes: 100,
        templateBytes: 50,
      });
      const created = await client.request('POST', '/v1/endpoints', {
        channel: 'webhook',
        url: sink.url('/bounded'),
        retrySchedule: ['1s', '50ms', '1s', '1s'],
        eventTypes: ['a', 'b', 'c'],
        headers: { 'x-big': 'v'.repeat(100) },
        template: { text: 't'.repeat(51) },
      });
      expect(created.status).toBe(400);
      expectErrorShape(created.body, 'validation_failed');
      expect(badFields(created.body).sort()).toEqual(
        ['eventTypes', 'headers', 'retrySchedule', 'retrySchedule.1', 'template'].sort(),
      );

      const endpoint = await client.createEndpoint({
        url: sink.url('/bounded'),
        retrySchedule: ['100ms'],
      });
      const patched = await client.request('PATCH', `/v1/endpoints/${endpoint.id}`, {
        retrySchedule: [99],
      });
      expect(patched.status).toBe(400);
      expect(badFields(patched.body)).toEqual(['retrySchedule.0']);
      expect(patched.body.error.details[0].message).toContain('minRetryDelay');
      const unchanged = await client.request('GET', `/v1/endpoints/${endpoint.id}`);
      expect(unchanged.body.retrySchedule).toEqual([100]);
    });
  });

  describe('messages per second', () => {
    it('answers 429 with Retry-After over HTTP, and the other apps publish on', async () => {
      const { id, client } = await newApp('http-flood');
      const { client: other } = await newApp('http-quiet');
      await setQuotas(id, { messagesPerSecond: 3 });
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          client.request('POST', '/v1/messages', { eventType: 'flood', payload: {} }),
        ),
      );
      const seconds = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
      const accepted = answers.filter((answer) => answer.status === 202);
      const refused = answers.filter((answer) => answer.status === 429);
      expect(accepted.length + refused.length).toBe(30);
      expect(accepted.length).toBeGreaterThan(0);
      expect(accepted.length).toBeLessThanOrEqual(3 * seconds);
      for (const answer of refused) {
        expectErrorShape(answer.body, 'messages_per_second_exceeded');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      expect(
        (await other.request('POST', '/v1/messages', { eventType: 'calm', payload: {} })).status,
      ).toBe(202);
    });

    it('on AMQP stores and acknowledges every message, defers the flooding app, and attempts the others at once', async () => {
      const flooder = await newApp('amqp-flood');
      const quiet = await newApp('amqp-quiet');
      await setQuotas(flooder.id, { messagesPerSecond: 5 });
      await flooder.client.createEndpoint({ url: sink.url('/flood') });
      await quiet.client.createEndpoint({ url: sink.url('/quiet') });

      const count = 40;
      for (let i = 0; i < count; i++) {
        await platform.publishAmqp(
          { eventType: 'flood', payload: { i } },
          { headers: { [HEADER_APP_ID]: flooder.id } },
        );
      }
      // Every one stored (hence acknowledged): none refused, none dropped.
      const messages = platform.db.collection('messages');
      await eventually(
        async () =>
          (await messages.countDocuments({ appId: flooder.id })) === count ? true : undefined,
        { what: 'every flooding message to be stored' },
      );
      // Its attempts are paced: deliveries stored for later, not claimed.
      const deferred = await platform.db.collection('deliveries').countDocuments({
        appId: flooder.id,
        attemptCount: 0,
        claimToken: null,
        nextAttemptAt: { $gt: new Date(Date.now() + 1_000) },
      });
      expect(deferred).toBeGreaterThan(0);

      const publishedAt = Date.now();
      await platform.publishAmqp(
        { eventType: 'calm', payload: {} },
        { headers: { [HEADER_APP_ID]: quiet.id } },
      );
      const calm = await eventually(() => sink.received.find((r) => r.path === '/quiet'), {
        what: 'the quiet app to be attempted',
      });
      const floodSeen = () => sink.received.filter((r) => r.path === '/flood');
      // Attempted before the flood is through: it did not wait behind it.
      expect(floodSeen().length).toBeLessThan(count);
      expect(calm.at - publishedAt).toBeLessThan(3_000);

      await eventually(() => (floodSeen().length >= count ? true : undefined), {
        timeoutMs: 40_000,
        what: 'every flooding message to be delivered',
      });
      // 40 messages at 5 per second (one second's worth at once) take at least 7 s.
      const seen = floodSeen().map((r) => r.at);
      const firstStored = (
        await messages.find({ appId: flooder.id }).sort({ createdAt: 1 }).limit(1).toArray()
      )[0]!.createdAt as Date;
      expect(Math.max(...seen) - firstStored.getTime()).toBeGreaterThanOrEqual(6_500);
    });
  });

  describe('SMS per hour', () => {
    it('postpones sends over the quota to the next hour, without attempting or counting them', async () => {
      const { id, client } = await newApp('chatty');
      await setQuotas(id, { smsPerHour: 2 });
      const endpoint = await client.createEndpoint({ channel: 'sms', to: '+8613800000000' });
      const hourAtStart = Math.floor(Date.now() / 3_600_000);
      const ids = [];
      for (let i = 0; i < 4; i++)
        ids.push(await client.publish({ eventType: 'sms', payload: { text: `m${i}` } }));

      const deliveries = platform.db.collection('deliveries');
      const postponed = await eventually(
        async () => {
          const waiting = await deliveries
            .find({
              endpointId: endpoint.id,
              attemptCount: 0,
              nextAttemptAt: { $gt: new Date(Date.now() + 60_000) },
            })
            .toArray();
          return waiting.length === 2 ? waiting : undefined;
        },
        { what: 'two SMS deliveries to be postponed' },
      );
      if (Math.floor(Date.now() / 3_600_000) !== hourAtStart) return; // an hour began meanwhile
      const nextHour = (hourAtStart + 1) * 3_600_000;
      for (const delivery of postponed) {
        expect((delivery.nextAttemptAt as Date).getTime()).toBeGreaterThanOrEqual(nextHour);
        expect(delivery.status).toBe('pending');
      }
      expect(sink.received.filter((r) => r.path === '/sms-gateway')).toHaveLength(2);
      // The attempt log is written after the attempts, in the notifier's next batch of outcomes.
      const attempts = platform.db.collection('attempts');
      await eventually(
        async () =>
          (await attempts.countDocuments({ endpointId: endpoint.id })) >= 2 ? true : undefined,
        { what: 'the two attempts to be logged' },
      );
      expect(await attempts.countDocuments({ endpointId: endpoint.id })).toBe(2);
    });
  });
});

describe('retention', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({
      env: { RETENTION: '2s', RETENTION_SWEEP_INTERVAL: '200ms' },
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  it('removes ended messages with their deliveries and attempts once older than RETENTION, never a pending one', async () => {
    const client = await ApiClient.forNewApp(platform, 'retained');
    await client.createEndpoint({ url: sink.url('/ok'), eventTypes: ['ok'] });
    sink.on('/down', () => ({ status: 500 }));
    await client.createEndpoint({
      url: sink.url('/down'),
      eventTypes: ['down'],
      retrySchedule: ['1h'],
    });

    const delivered = await client.publish({ eventType: 'ok' });
    const pending = await client.publish({ eventType: 'down' });
    const unrouted = await client.publish({ eventType: 'nobody' });
    await client.messageWhen(delivered, (m) => m.status === 'delivered');
    await client.messageWhen(unrouted, (m) => m.status === 'no_endpoints');
    await client.messageWhen(pending, (m) => m.deliveries[0]?.attemptCount === 1);
    const db = platform.db;
    expect(await db.collection('attempts').countDocuments({ messageId: delivered })).toBe(1);

    await eventually(
      async () => {
        const gone = await Promise.all([
          client.request('GET', `/v1/messages/${delivered}`),
          client.request('GET', `/v1/messages/${unrouted}`),
        ]);
        return gone.every((answer) => answer.status === 404) ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'the ended messages to be removed' },
    );
    expect(await db.collection('deliveries').countDocuments({ messageId: delivered })).toBe(0);
    expect(await db.collection('attempts').countDocuments({ messageId: delivered })).toBe(0);

    // Older than RETENTION too by now, but pending: kept, with its delivery and attempt.
    const kept = await client.request('GET', `/v1/messages/${pending}`);
    expect(kept.status).toBe(200);
    expect(Date.now() - Date.parse(kept.body.createdAt)).toBeGreaterThan(2_000);
    expect(kept.body.status).toBe('pending');
    expect(await db.collection('attempts').countDocuments({ messageId: pending })).toBe(1);
  });
});

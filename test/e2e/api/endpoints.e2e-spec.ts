import { verifyWebhook } from '@app/channels';
import { CHANGE_LEASE_MS } from '@app/common';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { ApiClient, badFields, expectErrorShape } from './api-helpers';

describe('endpoints API', () => {
  let platform: TestPlatform;
  let client: ApiClient;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({ env: { RETRY_SCHEDULE: '50ms,50ms' } });
    client = await ApiClient.forNewApp(platform);
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  describe('POST /v1/endpoints', () => {
    it('answers the endpoint as stored, with its secret and recipient token shown once', async () => {
      const { status, body } = await client.request('POST', '/v1/endpoints', {
        channel: 'webhook',
        url: sink.url('/created'),
        retrySchedule: ['15s', 60000, '2h'],
      });
      expect(status).toBe(201);
      expect(body).toMatchObject({
        channel: 'webhook',
        url: sink.url('/created'),
        eventTypes: ['*'],
        retrySchedule: [15000, 60000, 7_200_000],
        timeoutMs: 10000,
        enabled: true,
      });
      expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(body.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
      expect(body.recipientToken).toMatch(/^rt_/);
      const { body: fetched } = await client.request('GET', `/v1/endpoints/${body.id}`);
      expect(fetched.secret).toBeUndefined();
      expect(fetched.recipientToken).toBeUndefined();
      expect(JSON.stringify(fetched)).not.toContain(body.secret.slice(6));
    });

    it('uses RETRY_SCHEDULE when the endpoint sets none', async () => {
      const endpoint = await client.createEndpoint({ url: sink.url('/default-schedule') });
      expect(endpoint.retrySchedule).toEqual([50, 50]);
    });

    it('names each bad field', async () => {
      const { status, body } = await client.request('POST', '/v1/endpoints', {
        channel: 'webhook',
        url: 'ftp://example.com/hook',
        timeoutMs: 60001,
        eventTypes: ['order paid'],
        retrySchedule: ['soon'],
        enabled: 'yes',
      });
      expect(status).toBe(400);
      expectErrorShape(body, 'validation_failed');
      expect(badFields(body)).toEqual(
        expect.arrayContaining(['url', 'timeoutMs', 'eventTypes.0', 'retrySchedule.0', 'enabled']),
      );
    });

    it('requires a channel and, for webhooks, a url', async () => {
      const missing = await client.request('POST', '/v1/endpoints', {});
      expect(missing.status).toBe(400);
      expect(badFields(missing.body)).toContain('channel');
      const noUrl = await client.request('POST', '/v1/endpoints', { channel: 'webhook' });
      expect(noUrl.status).toBe(400);
      expect(badFields(noUrl.body)).toEqual(['url']);
    });

    it.each([
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://172.16.5.4/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'http://0.0.0.0/hook',
    ])(
      'refuses %s: private, loopback and link-local targets need TARGET_ALLOWLIST',
      async (url) => {
        const { status, body } = await client.request('POST', '/v1/endpoints', {
          channel: 'webhook',
          url,
        });
        expect(status).toBe(400);
        expect(badFields(body)).toEqual(['url']);
        expect(body.error.details[0].message).toContain('TARGET_ALLOWLIST');
      },
    );

    it('accepts loopback targets TARGET_ALLOWLIST covers (127.0.0.0/8 here), by name too', async () => {
      for (const url of [sink.url('/allowed'), 'http://localhost:9/allowed']) {
        const { status } = await client.request('POST', '/v1/endpoints', {
          channel: 'webhook',
          url,
        });
        expect(status).toBe(201);
      }
    });
  });

  describe('GET /v1/endpoints', () => {
    it('walks newest first with a cursor, nextCursor null on the last page', async () => {
      const own = await ApiClient.forNewApp(platform, 'walk');
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        created.push((await own.createEndpoint({ url: sink.url(`/walk/${i}`) })).id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const { status, body } = await own.request('GET', `/v1/endpoints?limit=2${query}`);
        expect(status).toBe(200);
        seen.push(...body.data.map((e: any) => e.id));
        cursor = body.nextCursor;
        pages += 1;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual([...created].reverse());
    });

    it.each(['limit=0', 'limit=501', 'limit=abc', 'cursor=not-a-cursor'])(
      'refuses %s with 400',
      async (query) => {
        const { status, body } = await client.request('GET', `/v1/endpoints?${query}`);
        expect(status).toBe(400);
        expectErrorShape(body, 'validation_failed');
        expect(badFields(body)).toEqual([query.split('=')[0]]);
      },
    );
  });

  describe('GET /v1/endpoints/:id health', () => {
    it('reports failures, the last success and a 410 disabling the endpoint', async () => {
      let answer = 500;
      sink.on('/health', () => ({ status: answer }));
      const client = await ApiClient.forNewApp(platform, 'health');
      const endpoint = await client.createEndpoint({
        url: sink.url('/health'),
        eventTypes: ['health.*'],
        retrySchedule: [],
      });
      const failed = await client.publish({ eventType: 'health.check' });
      await client.messageWhen(failed, (m) => m.status === 'failed');
      const afterFailure = (await client.request('GET', `/v1/endpoints/${endpoint.id}`)).body;
      expect(afterFailure).toMatchObject({
        enabled: true,
        disabledReason: null,
        consecutiveFailures: 1,
        lastSuccessAt: null,
      });
      expect(Date.parse(afterFailure.lastFailureAt)).not.toBeNaN();
      expect(afterFailure.health).toMatchObject({ consecutiveFailures: 1, enabled: true });

      answer = 200;
      const ok = await client.publish({ eventType: 'health.check' });
      await client.messageWhen(ok, (m) => m.status === 'delivered');
      const afterSuccess = (await client.request('GET', `/v1/endpoints/${endpoint.id}`)).body;
      expect(afterSuccess.consecutiveFailures).toBe(0);
      expect(Date.parse(afterSuccess.lastSuccessAt)).not.toBeNaN();

      answer = 410;
      const gone = await client.publish({ eventType: 'health.check' });
      await client.messageWhen(gone, (m) => m.status === 'failed');
      const disabled = (await client.request('GET', `/v1/endpoints/${endpoint.id}`)).body;
      expect(disabled.enabled).toBe(false);
      expect(disabled.disabledReason).toEqual(expect.any(String));
    });
  });

  describe('PATCH and DELETE /v1/endpoints/:id', () => {
    it('changes fields, clears with null, and re-checks the target', async () => {
      const endpoint = await client.createEndpoint({
        url: sink.url('/patch'),
        successBody: 'ok',
        description: 'first',
      });
      const changed = await client.request('PATCH', `/v1/endpoints/${endpoint.id}`, {
        successBody: null,
        description: 'second',
        eventTypes: ['order.*'],
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        successBody: null,
        description: 'second',
        eventTypes: ['order.*'],
      });
      const privateTarget = await client.request('PATCH', `/v1/endpoints/${endpoint.id}`, {
        url: 'http://10.0.0.1/',
      });
      expect(privateTarget.status).toBe(400);
      expect(badFields(privateTarget.body)).toEqual(['url']);
      const unknownField = await client.request('PATCH', `/v1/endpoints/${endpoint.id}`, {
        channel: 'email',
      });
      expect(unknownField.status).toBe(400);
    });

    it('answers a create, a change and a delete no sooner than CHANGE_LEASE_MS after making it', async () => {
      // Every notifier's intake has dropped what the change replaced by then (EndpointCache).
      const timed = async <T>(request: () => Promise<T>) => {
        const started = performance.now();
        const answer = await request();
        return { answer, tookMs: performance.now() - started };
      };
      const created = await timed(() => client.createEndpoint({ url: sink.url('/lease') }));
      const changed = await timed(() =>
        client.request('PATCH', `/v1/endpoints/${created.answer.id}`, { eventTypes: ['lease.*'] }),
      );
      const deleted = await timed(() =>
        client.request('DELETE', `/v1/endpoints/${created.answer.id}`),
      );
      expect([changed.answer.status, deleted.answer.status]).toEqual([200, 204]);
      for (const { tookMs } of [created, changed, deleted]) {
        expect(tookMs).toBeGreaterThanOrEqual(CHANGE_LEASE_MS);
      }
    });

    it('deletes (204), cancels pending deliveries, then answers 404', async () => {
      sink.on('/delete', () => ({ status: 500 }));
      const client = await ApiClient.forNewApp(platform, 'delete');
      const endpoint = await client.createEndpoint({
        url: sink.url('/delete'),
        eventTypes: ['delete.*'],
        retrySchedule: ['1h'],
      });
      const id = await client.publish({ eventType: 'delete.me' });
      await client.messageWhen(id, (m) => m.deliveries[0]?.attemptCount === 1);
      const removed = await client.request('DELETE', `/v1/endpoints/${endpoint.id}`);
      expect(removed.status).toBe(204);
      const message = (await client.request('GET', `/v1/messages/${id}`)).body;
      expect(message.deliveries[0].status).toBe('cancelled');
      expect(message.status).not.toBe('pending');
      expect((await client.request('GET', `/v1/endpoints/${endpoint.id}`)).status).toBe(404);
      const again = await client.request('DELETE', `/v1/endpoints/${endpoint.id}`);
      expect(again.status).toBe(404);
      expectErrorShape(again.body, 'not_found');
    });
  });

  describe('POST /v1/endpoints/:id/rotate-secret', () => {
    it('signs with the new and the previous secret side by side', async () => {
      const client = await ApiClient.forNewApp(platform, 'rotate');
      const endpoint = await client.createEndpoint({
        url: sink.url('/rotate'),
        eventTypes: ['rotate.*'],
      });
      const oldSecret: string = endpoint.secret;
      const rotated = await client.request('POST', `/v1/endpoints/${endpoint.id}/rotate-secret`);
      expect(rotated.status).toBe(200);
      const newSecret: string = rotated.body.secret;
      expect(newSecret).toMatch(/^whsec_/);
      expect(newSecret).not.toBe(oldSecret);

      const id = await client.publish({ eventType: 'rotate.done', payload: { n: 1 } });
      await client.messageWhen(id, (m) => m.status === 'delivered');
      const [request] = sink.requestsTo('/rotate');
      const header = request!.headers['webhook-signature'] as string;
      const signatures = header.split(' ');
      expect(signatures).toHaveLength(2);
      const verifies = (secret: string, signature: string) =>
        verifyWebhook({
          secrets: [secret],
          headers: {
            id: request!.headers['webhook-id'] as string,
            timestamp: request!.headers['webhook-timestamp'] as string,
            signature,
          },
          body: request!.body,
          now: new Date(),
        });
      expect(signatures.map((s) => verifies(newSecret, s))).toEqual([true, false]);
      expect(signatures.map((s) => verifies(oldSecret, s))).toEqual([false, true]);
    });

    it('is 409 for a channel without a secret and 404 for an unknown endpoint', async () => {
      const email = await client.request('POST', '/v1/endpoints', {
        channel: 'email',
        to: 'ops@example.com',
      });
      expect(email.status).toBe(201);
      const conflict = await client.request('POST', `/v1/endpoints/${email.body.id}/rotate-secret`);
      expect(conflict.status).toBe(409);
      expectErrorShape(conflict.body, 'conflict');
      const missing = await client.request('POST', '/v1/endpoints/ep_nope/rotate-secret');
      expect(missing.status).toBe(404);
    });
  });

  describe('POST /v1/endpoints/:id/rotate-recipient-token', () => {
    it('issues a new token; the old one stops working', async () => {
      const endpoint = await client.createEndpoint({ url: sink.url('/token') });
      const before = await platform.request('GET', '/v1/inbox', endpoint.recipientToken);
      expect(before.status).toBe(200);
      const rotated = await client.request(
        'POST',
        `/v1/endpoints/${endpoint.id}/rotate-recipient-token`,
      );
      expect(rotated.status).toBe(200);
      expect(rotated.body.recipientToken).toMatch(/^rt_/);
      expect((await platform.request('GET', '/v1/inbox', endpoint.recipientToken)).status).toBe(
        401,
      );
      await eventually(async () =>
        (await platform.request('GET', '/v1/inbox', rotated.body.recipientToken)).status === 200
          ? true
          : undefined,
      );
    });
  });
});

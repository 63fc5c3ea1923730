import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { ApiClient, badFields, expectErrorShape } from './api-helpers';

describe('messages API: list, filters, redelivery', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start({ env: { RETRY_SCHEDULE: '50ms,50ms' } });
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  async function listAll(client: ApiClient, query: string): Promise<any[]> {
    const { status, body } = await client.request('GET', `/v1/messages?limit=500&${query}`);
    expect(status).toBe(200);
    expect(body.nextCursor).toBeNull();
    return body.data;
  }

  describe('GET /v1/messages', () => {
    it('walks newest first and sees every message exactly once while more are published', async () => {
      const client = await ApiClient.forNewApp(platform, 'walk');
      const before = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          client.publish({ eventType: 'walk.before', payload: { i } }),
        ),
      );
      await eventually(async () => ((await listAll(client, '')).length === 30 ? true : undefined));

      const seen: any[] = [];
      const during: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const { status, body } = await client.request('GET', `/v1/messages?limit=4${query}`);
        expect(status).toBe(200);
        seen.push(...body.data);
        cursor = body.nextCursor;
        // New messages arrive while the walk goes on.
        during.push(
          ...(await Promise.all([
            client.publish({ eventType: 'walk.during' }),
            client.publish({ eventType: 'walk.during' }),
          ])),
        );
      } while (cursor !== null);

      const ids = seen.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of before) expect(ids).toContain(id);
      for (let i = 1; i < seen.length; i++) {
        const [newer, older] = [seen[i - 1], seen[i]];
        const order = Date.parse(newer.createdAt) - Date.parse(older.createdAt);
        expect(order > 0 || (order === 0 && newer.id > older.id)).toBe(true);
      }
      expect(during.length).toBeGreaterThan(0);
      expect(seen[0]).toEqual({
        id: expect.any(String),
        eventType: expect.stringMatching(/^walk\./),
        payload: expect.any(Object),
        idempotencyKey: null,
        orderingKey: null,
        status: 'no_endpoints',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });

    it('filters by eventType, status, endpointId and a [since, until) window', async () => {
      const client = await ApiClient.forNewApp(platform, 'filters');
      const orders = await client.createEndpoint({
        url: sink.url('/filters/orders'),
        eventTypes: ['order.*'],
      });
      const users = await client.createEndpoint({
        url: sink.url('/filters/users'),
        eventTypes: ['user.*'],
      });
      const first = await client.publish({ eventType: 'order.paid' });
      await client.messageWhen(first, (m) => m.status === 'delivered');
      const second = await client.publish({ eventType: 'order.paid' });
      const middle = await client.messageWhen(second, (m) => m.status === 'delivered');
      const third = await client.publish({ eventType: 'user.created' });
      await client.messageWhen(third, (m) => m.status === 'delivered');
      const fourth = await client.publish({ eventType: 'other.thing' });
      await client.messageWhen(fourth, (m) => m.status === 'no_endpoints');

      const ids = async (query: string) => (await listAll(client, query)).map((m) => m.id);
      expect(await ids('eventType=order.paid')).toEqual([second, first]);
      expect(await ids('status=no_endpoints')).toEqual([fourth]);
      expect(await ids('status=delivered')).toEqual([third, second, first]);
      expect(await ids(`endpointId=${orders.id}`)).toEqual([second, first]);
      expect(await ids(`endpointId=${users.id}&eventType=user.created`)).toEqual([third]);
      expect(await ids(`since=${middle.createdAt}`)).toEqual([fourth, third, second]);
      expect(await ids(`until=${middle.createdAt}`)).toEqual([first]);
      // Offsets are accepted; an hour ahead at +01:00 is the same instant.
      const sameInstant = new Date(Date.parse(middle.createdAt) + 3_600_000)
        .toISOString()
        .replace('Z', '+01:00');
      expect(await ids(`until=${encodeURIComponent(sameInstant)}`)).toEqual([first]);
      expect(await ids('endpointId=ep_unknown')).toEqual([]);
    });

    it.each([
      ['status=sent', 'status'],
      ['since=yesterday', 'since'],
      ['until=2026-13-01T00:00:00Z', 'until'],
      ['since=2026-11-26T10:00:00Z&until=2026-11-26T09:00:00Z', 'until'],
      ['eventType=order%20paid', 'eventType'],
      ['limit=0', 'limit'],
      ['limit=1.5', 'limit'],
      ['cursor=%5B%5D', 'cursor'],
    ])('refuses %s with a 400 naming %s', async (query, field) => {
      const client = await ApiClient.forNewApp(platform, 'bad-query');
      const { status, body } = await client.request('GET', `/v1/messages?${query}`);
      expect(status).toBe(400);
      expectErrorShape(body, 'validation_failed');
      expect(badFields(body)).toEqual([field]);
    });
  });

  describe('POST /v1/messages/:id/redeliver', () => {
    it('attempts every delivery again, whatever its status', async () => {
      const client = await ApiClient.forNewApp(platform, 'redeliver');
      await client.createEndpoint({ url: sink.url('/redeliver/a'), eventTypes: ['again.*'] });
      await client.createEndpoint({ url: sink.url('/redeliver/b'), eventTypes: ['again.*'] });
      const id = await client.publish({ eventType: 'again.please' });
      await client.messageWhen(id, (m) => m.status === 'delivered');

      const { status, body } = await client.request('POST', `/v1/messages/${id}/redeliver`);
      expect(status).toBe(202);
      expect(body).toEqual({ deliveries: 2 });
      const message = await client.messageWhen(
        id,
        (m) => m.status === 'delivered' && m.deliveries.every((d: any) => d.attemptCount === 2),
      );
      expect(message.deliveries.map((d: any) => d.status)).toEqual(['succeeded', 'succeeded']);
      for (const path of ['/redeliver/a', '/redeliver/b']) {
        const received = sink.requestsTo(path);
        expect(received).toHaveLength(2);
        expect(received.map((r) => r.headers['webhook-id'])).toEqual([id, id]);
      }
      const attempts = await client.attempts(id);
      expect(attempts.map((a) => a.attempt).sort()).toEqual([1, 1, 2, 2]);
    });

    it('answers 0 deliveries for a message that matched no endpoint, 404 for an unknown one', async () => {
      const client = await ApiClient.forNewApp(platform, 'redeliver-none');
      const id = await client.publish({ eventType: 'nobody.listens' });
      await client.messageWhen(id, (m) => m.status === 'no_endpoints');
      const none = await client.request('POST', `/v1/messages/${id}/redeliver`);
      expect(none.status).toBe(202);
      expect(none.body).toEqual({ deliveries: 0 });
      const missing = await client.request('POST', '/v1/messages/msg_unknown/redeliver');
      expect(missing.status).toBe(404);
      expectErrorShape(missing.body, 'not_found');
    });
  });

  describe('POST /v1/deliveries/:id/redeliver', () => {
    it('starts a fresh schedule while attempts number on, and the old attempts stay', async () => {
      let answer = 500;
      sink.on('/flaky', () => ({ status: answer }));
      const client = await ApiClient.forNewApp(platform, 'fresh');
      await client.createEndpoint({ url: sink.url('/flaky'), eventTypes: ['flaky.*'] });
      const id = await client.publish({ eventType: 'flaky.event' });
      const failed = await client.messageWhen(id, (m) => m.status === 'failed');
      const delivery = failed.deliveries[0];
      expect(delivery.attemptCount).toBe(3);

      const again = await client.request('POST', `/v1/deliveries/${delivery.id}/redeliver`);
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ id: delivery.id, status: 'pending' });
      // Still failing: the whole schedule (first attempt and two retries) runs again.
      const refailed = await client.messageWhen(
        id,
        (m) => m.status === 'failed' && m.deliveries[0].attemptCount === 6,
      );
      expect(refailed.deliveries[0].status).toBe('failed');

      answer = 200;
      await client.request('POST', `/v1/deliveries/${delivery.id}/redeliver`);
      const delivered = await client.messageWhen(id, (m) => m.status === 'delivered');
      expect(delivered.deliveries[0]).toMatchObject({ status: 'succeeded', attemptCount: 7 });
      const attempts = await client.attempts(id);
      expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
        [3, 'failed'],
        [4, 'failed'],
        [5, 'failed'],
        [6, 'failed'],
        [7, 'succeeded'],
      ]);
      expect(sink.requestsTo('/flaky')).toHaveLength(7);
    });

    it('is 404 for an unknown delivery', async () => {
      const client = await ApiClient.forNewApp(platform, 'unknown-delivery');
      const missing = await client.request('POST', '/v1/deliveries/dlv_unknown/redeliver');
      expect(missing.status).toBe(404);
      expectErrorShape(missing.body, 'not_found');
    });
  });
});

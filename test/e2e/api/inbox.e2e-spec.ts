import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { ApiClient, badFields, expectErrorShape } from './api-helpers';

interface InboxPage {
  data: any[];
  nextCursor: string | null;
}

describe('inbox API (recipient token)', () => {
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

  async function inbox(token: string, query = ''): Promise<InboxPage> {
    const { status, body } = await platform.request<InboxPage>('GET', `/v1/inbox?${query}`, token);
    expect(status).toBe(200);
    return body;
  }

  /** Reads pages from `after` until an empty one; returns the items and the cursor to keep. */
  async function walk(
    token: string,
    after: string | null,
    limit: number,
  ): Promise<{ items: any[]; cursor: string | null; pages: number }> {
    const items: any[] = [];
    let cursor = after;
    let pages = 0;
    for (;;) {
      const page = await inbox(
        token,
        `limit=${limit}${cursor === null ? '' : `&after=${encodeURIComponent(cursor)}`}`,
      );
      pages += 1;
      if (page.data.length === 0) {
        expect(page.nextCursor).toBeNull();
        return { items, cursor, pages };
      }
      expect(page.nextCursor).toEqual(expect.any(String));
      items.push(...page.data);
      cursor = page.nextCursor;
    }
  }

  it('walks oldest first, and a kept cursor resumes exactly after an outage of ours', async () => {
    const client = await ApiClient.forNewApp(platform, 'outage');
    const outageSink = await new WebhookSink().start();
    const endpoint = await client.createEndpoint({
      url: outageSink.url('/inbox'),
      eventTypes: ['inbox.*'],
    });
    const token: string = endpoint.recipientToken;
    const first: string[] = [];
    for (let i = 0; i < 5; i++) {
      first.push(await client.publish({ eventType: 'inbox.first', payload: { i } }));
    }
    for (const id of first) await client.messageWhen(id, (m) => m.status === 'delivered');

    const read = await walk(token, null, 2);
    expect(read.pages).toBe(4);
    expect(read.items.map((item) => item.messageId)).toEqual(first);
    expect(read.items[0]).toEqual({
      messageId: first[0],
      eventType: 'inbox.first',
      payload: { i: 0 },
      createdAt: expect.stringMatching(/Z$/),
      deliveryStatus: 'succeeded',
      attemptCount: 1,
      orderingKey: null,
      sequence: null,
    });
    const kept = read.cursor;

    // The recipient goes away, and so does the notifier: messages wait in the broker.
    await outageSink.stop();
    await platform.stopNotifier(platform.notifiers[0]!);
    const second: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        second.push(await client.publish({ eventType: 'inbox.second', payload: { i } }));
      }
      expect(await inbox(token, `after=${kept}`)).toEqual({ data: [], nextCursor: null });
    } finally {
      await platform.startNotifier();
    }

    const resumed = await eventually(async () => {
      const page = await inbox(token, `after=${kept}`);
      return page.data.length === 3 ? page : undefined;
    });
    expect(resumed.data.map((item) => item.messageId)).toEqual(second);
    for (const item of resumed.data) expect(['pending', 'failed']).toContain(item.deliveryStatus);
    expect(await inbox(token, `after=${resumed.nextCursor}`)).toEqual({
      data: [],
      nextCursor: null,
    });
  });

  it('misses nothing and repeats nothing while two notifiers store messages concurrently', async () => {
    const client = await ApiClient.forNewApp(platform, 'concurrent');
    const endpoint = await client.createEndpoint({
      url: sink.url('/concurrent'),
      eventTypes: ['burst.*'],
    });
    const token: string = endpoint.recipientToken;
    const extra = await platform.startNotifier();
    try {
      const published: string[] = [];
      const seen: string[] = [];
      let cursor: string | null = null;
      let publishing = true;
      const poller = (async () => {
        while (publishing || seen.length < published.length) {
          const query: string = cursor === null ? 'limit=7' : `limit=7&after=${cursor}`;
          const page = await inbox(token, query);
          seen.push(...page.data.map((item) => item.messageId));
          cursor = page.nextCursor ?? cursor;
          if (page.data.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      for (let burst = 0; burst < 12; burst++) {
        published.push(
          ...(await Promise.all(
            Array.from({ length: 12 }, (_, i) =>
              client.publish({ eventType: 'burst.event', payload: { burst, i } }),
            ),
          )),
        );
      }
      publishing = false;
      await Promise.race([
        poller,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`saw ${seen.length} of ${published.length}`)), 20_000),
        ),
      ]);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...published].sort());
    } finally {
      await platform.stopNotifier(extra);
    }
  });

  it('acknowledging stops the retries and settles the message', async () => {
    sink.on('/ack', () => ({ status: 500 }));
    const client = await ApiClient.forNewApp(platform, 'ack');
    const endpoint = await client.createEndpoint({
      url: sink.url('/ack'),
      eventTypes: ['ack.*'],
      retrySchedule: ['300ms', '300ms', '300ms'],
    });
    const id = await client.publish({ eventType: 'ack.me' });
    await client.messageWhen(id, (m) => m.deliveries[0]?.attemptCount === 1);

    const { status, body } = await platform.request(
      'POST',
      `/v1/inbox/${id}/ack`,
      endpoint.recipientToken,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ messageId: id, deliveryStatus: 'succeeded' });
    const attemptsAtAck = sink.requestsTo('/ack').length;
    // Longer than the rest of the schedule: nothing more may arrive (one attempt in flight at most).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(sink.requestsTo('/ack').length).toBeLessThanOrEqual(attemptsAtAck + 1);
    const message = (await client.request('GET', `/v1/messages/${id}`)).body;
    expect(message.status).toBe('delivered');
    expect(message.deliveries[0]).toMatchObject({ status: 'succeeded', nextAttemptAt: null });
    expect(message.deliveries[0].deliveredAt).toEqual(expect.any(String));

    const again = await platform.request('POST', `/v1/inbox/${id}/ack`, endpoint.recipientToken);
    expect(again.status).toBe(200);
    expect(again.body.deliveryStatus).toBe('succeeded');
  });

  it('since keeps what reached the endpoint from then on, page after page', async () => {
    const client = await ApiClient.forNewApp(platform, 'since');
    const endpoint = await client.createEndpoint({ url: sink.url('/since') });
    const token: string = endpoint.recipientToken;
    const publishDelivered = async (i: number) => {
      const id = await client.publish({ eventType: 'inbox.since', payload: { i } });
      await client.messageWhen(id, (m) => m.status === 'delivered');
      return id;
    };
    await publishDelivered(0);
    const from = await publishDelivered(1);
    const { body: stored } = await client.request('GET', `/v1/messages/${from}`);
    const later = [from, await publishDelivered(2), await publishDelivered(3)];
    const since = encodeURIComponent(stored.createdAt);
    const first = await inbox(token, `since=${since}&limit=2`);
    const rest = await inbox(token, `since=${since}&limit=2&after=${first.nextCursor}`);
    expect([...first.data, ...rest.data].map((item) => item.messageId)).toEqual(later);
    expect(await inbox(token, `since=${since}&after=${rest.nextCursor}`)).toEqual({
      data: [],
      nextCursor: null,
    });
    expect((await inbox(token)).data).toHaveLength(4);
  });

  it('answers one message of the inbox, and 404 for one addressed elsewhere', async () => {
    sink.on('/mine/down', () => ({ status: 500 }));
    const client = await ApiClient.forNewApp(platform, 'single');
    const mine = await client.createEndpoint({
      url: sink.url('/mine/down'),
      eventTypes: ['mine.*'],
    });
    await client.createEndpoint({ url: sink.url('/theirs'), eventTypes: ['theirs.*'] });
    const failed = await client.publish({ eventType: 'mine.event', payload: { a: 1 } });
    const elsewhere = await client.publish({ eventType: 'theirs.event' });
    await client.messageWhen(failed, (m) => m.status === 'failed');
    await client.messageWhen(elsewhere, (m) => m.status === 'delivered');
    const token: string = mine.recipientToken;

    const one = await platform.request('GET', `/v1/inbox/${failed}`, token);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      messageId: failed,
      eventType: 'mine.event',
      payload: { a: 1 },
      deliveryStatus: 'failed',
      attemptCount: 3,
    });
    for (const path of [`/v1/inbox/${elsewhere}`, '/v1/inbox/msg_unknown']) {
      const missing = await platform.request('GET', path, token);
      expect(missing.status).toBe(404);
      expectErrorShape(missing.body, 'not_found');
    }
    const ackElsewhere = await platform.request('POST', `/v1/inbox/${elsewhere}/ack`, token);
    expect(ackElsewhere.status).toBe(404);

    expect((await inbox(token, 'status=failed')).data.map((i) => i.messageId)).toEqual([failed]);
    expect((await inbox(token, 'status=succeeded')).data).toEqual([]);
    expect((await inbox(token, 'status=pending')).data).toEqual([]);
    expect((await inbox(token)).data.map((i) => i.messageId)).toEqual([failed]);
  });

  it('refuses bad queries with 400 and other credentials with 401/403', async () => {
    const client = await ApiClient.forNewApp(platform, 'inbox-errors');
    const endpoint = await client.createEndpoint({ url: sink.url('/errors') });
    const token: string = endpoint.recipientToken;
    const messagesCursor = Buffer.from(JSON.stringify([Date.now(), 'msg_x'])).toString('base64url');
    for (const [query, field] of [
      ['after=garbage', 'after'],
      [`after=${messagesCursor}`, 'after'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['status=delivered', 'status'],
      ['since=yesterday', 'since'],
      ['since=2026-11-26', 'since'],
    ]) {
      const { status, body } = await platform.request('GET', `/v1/inbox?${query}`, token);
      expect({ query, status }).toEqual({ query, status: 400 });
      expectErrorShape(body, 'validation_failed');
      expect(badFields(body)).toEqual([field]);
    }
    const appKey = await client.request('GET', '/v1/inbox');
    expect(appKey.status).toBe(403);
    expectErrorShape(appKey.body, 'forbidden');
    expect((await platform.request('GET', '/v1/inbox')).status).toBe(401);
    expect((await platform.request('GET', '/v1/inbox', 'rt_unknown')).status).toBe(401);
  });
});

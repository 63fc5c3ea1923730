import { ADMIN_KEY, TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { ApiClient, badFields, expectErrorShape } from './api-helpers';

interface Tenant {
  client: ApiClient;
  endpoint: any;
  messageId: string;
  deliveryId: string;
}

describe('isolation and errors', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let a: Tenant;
  let b: Tenant;

  async function tenant(name: string): Promise<Tenant> {
    const client = await ApiClient.forNewApp(platform, name);
    const endpoint = await client.createEndpoint({ url: sink.url(`/${name}`) });
    const messageId = await client.publish({ eventType: 'order.paid', payload: { name } });
    const message = await client.messageWhen(messageId, (m) => m.status === 'delivered');
    return { client, endpoint, messageId, deliveryId: message.deliveries[0].id };
  }

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
    a = await tenant('alpha');
    b = await tenant('beta');
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  /** Every app-key route that names one of A's resources. */
  const routesOf = (t: Tenant): [string, string, unknown?][] => [
    ['GET', `/v1/endpoints/${t.endpoint.id}`],
    ['PATCH', `/v1/endpoints/${t.endpoint.id}`, { description: 'taken over' }],
    ['POST', `/v1/endpoints/${t.endpoint.id}/rotate-secret`],
    ['POST', `/v1/endpoints/${t.endpoint.id}/rotate-recipient-token`],
    ['POST', `/v1/endpoints/${t.endpoint.id}/recover`, { since: '2020-01-01T00:00:00Z' }],
    ['GET', `/v1/messages/${t.messageId}`],
    ['GET', `/v1/messages/${t.messageId}/attempts`],
    ['POST', `/v1/messages/${t.messageId}/redeliver`],
    ['POST', `/v1/deliveries/${t.deliveryId}/redeliver`],
    ['DELETE', `/v1/endpoints/${t.endpoint.id}`],
  ];

  it("answers 404 to another app's ids on every route, and changes nothing", async () => {
    for (const [method, path, body] of routesOf(a)) {
      const { status, body: error } = await b.client.request(method, path, body);
      expect({ method, path, status }).toEqual({ method, path, status: 404 });
      expectErrorShape(error, 'not_found');
    }
    const endpoint = (await a.client.request('GET', `/v1/endpoints/${a.endpoint.id}`)).body;
    expect(endpoint.description).toBeNull();
    const message = (await a.client.request('GET', `/v1/messages/${a.messageId}`)).body;
    expect(message.deliveries[0].attemptCount).toBe(1);
    expect((await platform.request('GET', '/v1/inbox', a.endpoint.recipientToken)).status).toBe(
      200,
    );
  });

  it("never lists another app's endpoints or messages", async () => {
    const endpoints = (await b.client.request('GET', '/v1/endpoints')).body.data;
    expect(endpoints.map((e: any) => e.id)).toEqual([b.endpoint.id]);
    const messages = (await b.client.request('GET', '/v1/messages')).body.data;
    expect(messages.map((m: any) => m.id)).toEqual([b.messageId]);
    const filtered = await b.client.request('GET', `/v1/messages?endpointId=${a.endpoint.id}`);
    expect(filtered.body.data).toEqual([]);
  });

  it("refuses to publish to another app's endpoint, naming the field", async () => {
    const { status, body } = await b.client.request('POST', '/v1/messages', {
      eventType: 'order.paid',
      payload: {},
      endpointIds: [b.endpoint.id, a.endpoint.id],
    });
    expect(status).toBe(400);
    expect(badFields(body)).toEqual(['endpointIds.1']);
  });

  it("keeps a recipient token to its own inbox: another endpoint's message is 404", async () => {
    const token: string = b.endpoint.recipientToken;
    const inbox = (await platform.request('GET', '/v1/inbox', token)).body;
    expect(inbox.data.map((item: any) => item.messageId)).toEqual([b.messageId]);
    for (const [method, path] of [
      ['GET', `/v1/inbox/${a.messageId}`],
      ['POST', `/v1/inbox/${a.messageId}/ack`],
    ]) {
      const { status, body } = await platform.request(method!, path!, token);
      expect({ path, status }).toEqual({ path, status: 404 });
      expectErrorShape(body, 'not_found');
    }
  });

  it('gives a recipient token 403 everywhere but its inbox', async () => {
    const token: string = b.endpoint.recipientToken;
    for (const [method, path, body] of [
      ...routesOf(b),
      ['GET', '/v1/endpoints'],
      ['POST', '/v1/endpoints', { channel: 'webhook', url: sink.url('/x') }],
      ['GET', '/v1/messages'],
      ['POST', '/v1/messages', { eventType: 'order.paid', payload: {} }],
      ['GET', '/v1/apps'],
      ['POST', '/v1/apps', { name: 'mine' }],
    ] as [string, string, unknown?][]) {
      const { status, body: error } = await platform.request(method, path, token, body);
      expect({ method, path, status }).toEqual({ method, path, status: 403 });
      expectErrorShape(error, 'forbidden');
    }
  });

  it('keeps the admin key to apps and app keys away from apps and inboxes', async () => {
    for (const [method, path] of [
      ['GET', '/v1/endpoints'],
      ['GET', '/v1/messages'],
      ['GET', `/v1/messages/${a.messageId}`],
      ['GET', '/v1/inbox'],
    ]) {
      const { status } = await platform.request(method!, path!, ADMIN_KEY);
      expect({ path, status }).toEqual({ path, status: 403 });
    }
    expect((await a.client.request('GET', '/v1/apps')).status).toBe(403);
    expect((await a.client.request('GET', '/v1/inbox')).status).toBe(403);
  });

  it('answers 401 without credentials or with unknown ones', async () => {
    for (const token of [undefined, 'ak_unknown', 'rt_unknown', 'nonsense']) {
      const { status, body } = await platform.request('GET', '/v1/messages', token);
      expect({ token, status }).toEqual({ token, status: 401 });
      expectErrorShape(body, 'unauthorized');
    }
  });

  describe('errors have the contract shape and are never 500', () => {
    it('malformed JSON is 400', async () => {
      const { status, body } = await a.client.request('POST', '/v1/messages', '{"eventType":');
      expect(status).toBe(400);
      expectErrorShape(body, 'validation_failed');
    });

    it('a body over 256 KiB is 413', async () => {
      const { status, body } = await a.client.request('POST', '/v1/messages', {
        eventType: 'order.paid',
        payload: { blob: 'x'.repeat(300 * 1024) },
      });
      expect(status).toBe(413);
      expectErrorShape(body, 'payload_too_large');
    });

    it('wrong types are 400 naming each field', async () => {
      const { status, body } = await a.client.request('POST', '/v1/messages', {
        eventType: 42,
        payload: 'text',
        idempotencyKey: ['k'],
        endpointIds: 'ep',
      });
      expect(status).toBe(400);
      expect(badFields(body).sort()).toEqual(
        ['endpointIds', 'eventType', 'idempotencyKey', 'payload'].sort(),
      );
    });

    it('a JSON body that is not an object is 400', async () => {
      for (const raw of ['[]', '"text"', '42', 'null']) {
        const { status, body } = await a.client.request('POST', '/v1/endpoints', raw);
        expect({ raw, status }).toEqual({ raw, status: 400 });
        expectErrorShape(body, 'validation_failed');
      }
    });

    it('an unknown route is 404', async () => {
      const { status, body } = await a.client.request('GET', '/v1/nothing-here');
      expect(status).toBe(404);
      expectErrorShape(body, 'not_found');
    });

    it('bad cursors and limits are 400 on every list', async () => {
      for (const path of [
        '/v1/endpoints?cursor=%%%',
        '/v1/messages?cursor=eyJ4IjoxfQ',
        `/v1/messages/${a.messageId}/attempts?cursor=bm9wZQ`,
        // An attempts cursor from before positions (a time and an id): refused, not misread.
        `/v1/messages/${a.messageId}/attempts?cursor=${Buffer.from(JSON.stringify([Date.now(), 'att_1'])).toString('base64url')}`,
        '/v1/messages?limit=-1',
        `/v1/messages/${a.messageId}/attempts?limit=1000`,
      ]) {
        const { status, body } = await a.client.request('GET', path);
        expect({ path, status }).toEqual({ path, status: 400 });
        expectErrorShape(body, 'validation_failed');
      }
      const { status } = await platform.request('GET', '/v1/apps?cursor=nope', ADMIN_KEY);
      expect(status).toBe(400);
    });
  });
});

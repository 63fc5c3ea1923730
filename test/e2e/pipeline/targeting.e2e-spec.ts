import { idempotentMessageId } from '@app/contracts';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { createEndpoint, messageWithStatus, publish } from './pipeline-helpers';

describe('pipeline: idempotency and fan-out', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();
  let app: { id: string; apiKey: string };

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
  });
  afterAll(async () => {
    await platform.stop();
    await sink.stop();
  });
  // An app per test: each test's messages fan out to its own endpoints only.
  beforeEach(async () => {
    app = await platform.createApp();
  });

  /** Intake is in order: once a later message is stored, every earlier one has been handled. */
  async function settle(path: string): Promise<void> {
    const id = await publish(platform, app.apiKey, { eventType: 'sentinel.done', payload: {} });
    await messageWithStatus(platform, app.apiKey, id, 'delivered');
    expect(sink.requestsTo(path).some((r) => r.headers['webhook-id'] === id)).toBe(true);
  }

  function webhookIds(path: string): string[] {
    return sink.requestsTo(path).map((request) => request.headers['webhook-id'] as string);
  }

  describe('idempotency', () => {
    it('answers the same id for the same idempotencyKey over HTTP and delivers once', async () => {
      await createEndpoint(platform, app.apiKey, { url: sink.url('/idem-http') });
      const message = { eventType: 'order.paid', payload: { n: 1 }, idempotencyKey: 'order-1' };
      const first = await publish(platform, app.apiKey, message);
      const second = await publish(platform, app.apiKey, { ...message, payload: { n: 2 } });
      expect(second).toBe(first);

      await settle('/idem-http');
      const stored = await messageWithStatus(platform, app.apiKey, first, 'delivered');
      expect(stored).toMatchObject({ idempotencyKey: 'order-1', payload: { n: 1 } });
      expect(stored.deliveries).toHaveLength(1);
      expect(webhookIds('/idem-http').filter((id) => id === first)).toHaveLength(1);
      expect(await platform.db.collection('messages').countDocuments({ _id: first } as any)).toBe(
        1,
      );
    });

    it('keeps keys apart per app', async () => {
      const other = await platform.createApp('other');
      const message = { eventType: 'order.paid', payload: {}, idempotencyKey: 'shared-key' };
      expect(await publish(platform, app.apiKey, message)).not.toBe(
        await publish(platform, other.apiKey, message),
      );
    });

    it('uses the AMQP messageId as the key when the body has none', async () => {
      await createEndpoint(platform, app.apiKey, { url: sink.url('/idem-amqp') });
      const headers = { 'x-app-id': app.id };
      const body = { eventType: 'order.paid', payload: { n: 1 } };
      await platform.publishAmqp(body, { headers, messageId: 'producer-42' });
      // "The first one wins" once the first is stored; two copies in flight at once may be
      // stored in either order (intake writes batches in parallel), and either is correct.
      const id = idempotentMessageId(app.id, 'producer-42');
      await messageWithStatus(platform, app.apiKey, id, 'delivered');
      await platform.publishAmqp(
        { ...body, payload: { n: 2 } },
        { headers, messageId: 'producer-42' },
      );
      // The body's own key wins over messageId.
      await platform.publishAmqp(
        { ...body, idempotencyKey: 'body-key' },
        { headers, messageId: 'producer-43' },
      );

      await settle('/idem-amqp');
      const stored = await messageWithStatus(platform, app.apiKey, id, 'delivered');
      expect(stored).toMatchObject({ idempotencyKey: 'producer-42', payload: { n: 1 } });
      expect(stored.deliveries).toHaveLength(1);
      expect(webhookIds('/idem-amqp').filter((webhookId) => webhookId === id)).toHaveLength(1);

      const bodyKeyed = idempotentMessageId(app.id, 'body-key');
      await messageWithStatus(platform, app.apiKey, bodyKeyed, 'delivered');
      const byMessageId = await platform.request(
        'GET',
        `/v1/messages/${idempotentMessageId(app.id, 'producer-43')}`,
        app.apiKey,
      );
      expect(byMessageId.status).toBe(404);
    });

    it('agrees on the id whether the key came over HTTP or AMQP', async () => {
      await createEndpoint(platform, app.apiKey, { url: sink.url('/idem-both') });
      const id = await publish(platform, app.apiKey, {
        eventType: 'order.paid',
        payload: {},
        idempotencyKey: 'both-ways',
      });
      await platform.publishAmqp(
        { eventType: 'order.paid', payload: {} },
        { headers: { 'x-app-id': app.id }, messageId: 'both-ways' },
      );
      await settle('/idem-both');
      expect(webhookIds('/idem-both').filter((webhookId) => webhookId === id)).toHaveLength(1);
    });
  });

  describe('fan-out', () => {
    async function endpoints() {
      const orders = await createEndpoint(platform, app.apiKey, {
        url: sink.url(`/${app.id}/orders`),
        eventTypes: ['order.*'],
      });
      const users = await createEndpoint(platform, app.apiKey, {
        url: sink.url(`/${app.id}/users`),
        eventTypes: ['user.created', 'sentinel.done'],
      });
      const disabled = await createEndpoint(platform, app.apiKey, {
        url: sink.url(`/${app.id}/disabled`),
        eventTypes: ['*'],
        enabled: false,
      });
      return { orders, users, disabled };
    }

    const targets = (message: any) => message.deliveries.map((d: any) => d.endpointId).sort();

    it('sends each event type to the endpoints whose eventTypes match, never to a disabled one', async () => {
      const { orders, users } = await endpoints();
      const paid = await publish(platform, app.apiKey, { eventType: 'order.paid', payload: {} });
      const refund = await publish(platform, app.apiKey, {
        eventType: 'order.refund.partial',
        payload: {},
      });
      const created = await publish(platform, app.apiKey, {
        eventType: 'user.created',
        payload: {},
      });

      expect(targets(await messageWithStatus(platform, app.apiKey, paid, 'delivered'))).toEqual([
        orders.id,
      ]);
      expect(targets(await messageWithStatus(platform, app.apiKey, refund, 'delivered'))).toEqual([
        orders.id,
      ]);
      expect(targets(await messageWithStatus(platform, app.apiKey, created, 'delivered'))).toEqual([
        users.id,
      ]);
      await settle(`/${app.id}/users`);
      expect(webhookIds(`/${app.id}/orders`).sort()).toEqual([paid, refund].sort());
      expect(webhookIds(`/${app.id}/users`)).toContain(created);
      expect(webhookIds(`/${app.id}/users`)).not.toContain(paid);
      expect(webhookIds(`/${app.id}/disabled`)).toEqual([]);
    });

    it('sends to endpointIds only, whatever their eventTypes', async () => {
      const { users } = await endpoints();
      const id = await publish(platform, app.apiKey, {
        eventType: 'order.paid',
        payload: {},
        endpointIds: [users.id],
      });
      const message = await messageWithStatus(platform, app.apiKey, id, 'delivered');
      expect(targets(message)).toEqual([users.id]);
      expect(webhookIds(`/${app.id}/orders`)).not.toContain(id);
    });

    it('does not target a disabled endpoint even when named in endpointIds', async () => {
      const { disabled } = await endpoints();
      const id = await publish(platform, app.apiKey, {
        eventType: 'order.paid',
        payload: {},
        endpointIds: [disabled.id],
      });
      const message = await messageWithStatus(platform, app.apiKey, id, 'no_endpoints');
      expect(message.deliveries).toEqual([]);
    });

    it('marks a message that matches nothing no_endpoints', async () => {
      await endpoints();
      const id = await publish(platform, app.apiKey, { eventType: 'invoice.sent', payload: {} });
      const message = await messageWithStatus(platform, app.apiKey, id, 'no_endpoints');
      expect(message.deliveries).toEqual([]);
    });

    it('answers 400 naming endpointIds that are not this app’s', async () => {
      const { orders } = await endpoints();
      const other = await platform.createApp('other');
      const foreign = await createEndpoint(platform, other.apiKey, { url: sink.url('/foreign') });
      const { status, body } = await platform.request('POST', '/v1/messages', app.apiKey, {
        eventType: 'order.paid',
        payload: {},
        endpointIds: [orders.id, 'ep_does_not_exist', foreign.id],
      });
      expect(status).toBe(400);
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details).toEqual([
        { field: 'endpointIds.1', message: expect.stringContaining('ep_does_not_exist') },
        { field: 'endpointIds.2', message: expect.stringContaining(foreign.id) },
      ]);
    });
  });
});

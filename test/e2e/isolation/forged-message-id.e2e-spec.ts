import { HEADER_APP_ID, HEADER_MESSAGE_ID, idempotentMessageId } from '@app/contracts';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';
import { createEndpoint, messageWithStatus, publish } from '../pipeline/pipeline-helpers';

/**
 * A producer chooses the `messageId` property and may set `x-message-id` (the header the HTTP
 * API uses). Neither may ever make its message take, or resolve to, another app's message id.
 */
describe('isolation: forged message ids', () => {
  let platform: TestPlatform;
  const sink = new WebhookSink();

  beforeAll(async () => {
    await sink.start();
    platform = await TestPlatform.start();
  });
  afterAll(async () => {
    await platform?.stop();
    await sink.stop();
  });

  async function storedOf(appId: string): Promise<number> {
    return platform.db.collection('messages').countDocuments({ appId });
  }

  it("cannot take the id another app's idempotency key derives", async () => {
    const hostile = await platform.createApp('hostile');
    const victim = await platform.createApp('victim');
    await createEndpoint(platform, victim.apiKey, { url: sink.url('/victim') });
    const victimId = idempotentMessageId(victim.id, 'order-1');

    // Both ways a producer names an id, before the victim publishes with that key.
    await platform.publishAmqp(
      { eventType: 'order.paid', payload: { forged: 'header' } },
      { headers: { [HEADER_APP_ID]: hostile.id, [HEADER_MESSAGE_ID]: victimId } },
    );
    await platform.publishAmqp(
      { eventType: 'order.paid', payload: { forged: 'property' } },
      { headers: { [HEADER_APP_ID]: hostile.id }, messageId: 'order-1' },
    );
    await eventually(async () => ((await storedOf(hostile.id)) === 2 ? true : undefined), {
      what: "the hostile app's two messages to be stored",
    });

    const id = await publish(platform, victim.apiKey, {
      eventType: 'order.paid',
      payload: { mine: true },
      idempotencyKey: 'order-1',
    });
    expect(id).toBe(victimId);
    const message = await messageWithStatus(platform, victim.apiKey, id, 'delivered');
    expect(message.payload).toEqual({ mine: true });
    expect(sink.requestsTo('/victim').map((request) => JSON.parse(request.body).data)).toEqual([
      { mine: true },
    ]);
    // The hostile app's messages live under ids of its own, which the victim cannot see.
    const hostileIds = (
      await platform.db.collection('messages').find({ appId: hostile.id }).toArray()
    ).map((doc) => String(doc._id));
    expect(hostileIds).not.toContain(victimId);
    for (const hostileId of hostileIds) {
      const asVictim = await platform.request('GET', `/v1/messages/${hostileId}`, victim.apiKey);
      expect(asVictim.status).toBe(404);
    }
  });

  it("stores a copy of another app's API-assigned id under an id of the copier's own", async () => {
    const hostile = await platform.createApp('hostile-2');
    const victim = await platform.createApp('victim-2');
    // The API's answer for a message without a key is bound to the app it answered.
    const id = await publish(platform, victim.apiKey, { eventType: 'order.paid', payload: {} });
    await messageWithStatus(platform, victim.apiKey, id, 'no_endpoints');
    const replay = { headers: { [HEADER_APP_ID]: hostile.id, [HEADER_MESSAGE_ID]: id } };
    await platform.publishAmqp({ eventType: 'order.paid', payload: { forged: true } }, replay);
    await eventually(async () => ((await storedOf(hostile.id)) === 1 ? true : undefined), {
      what: "the hostile app's message to be stored under an id of its own",
    });
    const stored = await platform.db.collection('messages').findOne({ appId: hostile.id });
    expect(String(stored!._id)).not.toBe(id);
  });
});

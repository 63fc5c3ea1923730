import {
  InboxClient,
  InboxFollower,
  MemoryCursorStore,
  MemoryDedupeStore,
  NotifyClient,
} from '@app/client';
import type { InboxItem } from '@app/contracts';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';

const quiet = { warn: () => undefined };

/**
 * A recipient that was down: its webhook fails (nothing listens), and it catches up from the
 * inbox with a saved cursor, acking what it handled.
 */
describe('SDK: inbox follower', () => {
  let platform: TestPlatform;
  let client: NotifyClient;
  let inbox: InboxClient;

  beforeAll(async () => {
    platform = await TestPlatform.start({ env: { RETRY_SCHEDULE: '1h' } });
    const app = await platform.createApp('inbox-sdk');
    client = new NotifyClient({ baseUrl: platform.baseUrl, apiKey: app.apiKey });
    const endpoint = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: 'http://127.0.0.1:1/down',
    });
    expect(endpoint.status).toBe(201);
    inbox = new InboxClient({
      baseUrl: platform.baseUrl,
      recipientToken: endpoint.body.recipientToken,
    });
  });
  afterAll(() => platform?.stop());

  /** Publishes over HTTP and waits until the webhook attempt failed (the recipient is down). */
  async function publishMissed(n: number): Promise<string> {
    const { id } = await client.publish({ eventType: 'order.paid', payload: { n } });
    await eventually(async () => {
      const message = await client.getMessage(id).catch(() => undefined);
      return message?.deliveries[0]?.attemptCount === 1 ? true : undefined;
    });
    return id;
  }

  it('handles what it missed in order, acks it, and resumes from its cursor', async () => {
    const missed = [await publishMissed(1), await publishMissed(2), await publishMissed(3)];
    const cursor = new MemoryCursorStore();
    const handled: InboxItem[] = [];
    const follower = new InboxFollower({
      inbox,
      cursor,
      pageSize: 2,
      handler: (item) => {
        handled.push(item);
      },
      logger: quiet,
    });
    expect(await follower.catchUp()).toMatchObject({ handled: 3, skipped: 0 });
    expect(handled.map((item) => item.messageId)).toEqual(missed);
    expect(handled.map((item) => item.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const saved = await cursor.load();
    expect(saved).toEqual(expect.any(String));
    for (const id of missed) {
      expect((await client.getMessage(id)).status).toBe('delivered'); // acked: retries stop
    }

    const later = [await publishMissed(4), await publishMissed(5)];
    // A new follower (a restarted recipient) with the saved cursor; it would handle already
    // delivered items too, so only the cursor keeps it from seeing the first three again.
    const resumed: string[] = [];
    const restarted = new InboxFollower({
      inbox,
      cursor,
      skipSucceeded: false,
      handler: (item) => {
        resumed.push(item.messageId);
      },
      logger: quiet,
    });
    expect(await restarted.catchUp()).toMatchObject({ handled: 2 });
    expect(resumed).toEqual(later);
    expect(await restarted.catchUp()).toMatchObject({ handled: 0, pages: 1 });
  });

  it('keeps its place when the handler fails, and hands the item over again next time', async () => {
    const cursor = new MemoryCursorStore();
    // start after everything so far
    await new InboxFollower({ inbox, cursor, handler: () => undefined, logger: quiet }).catchUp();
    const before = await cursor.load();
    const id = await publishMissed(6);

    const failing = new InboxFollower({
      inbox,
      cursor,
      handler: () => {
        throw new Error('disk full');
      },
      logger: quiet,
    });
    await expect(failing.catchUp()).rejects.toThrow('disk full');
    expect(await cursor.load()).toBe(before);
    expect((await client.getMessage(id)).status).toBe('pending'); // not acked

    const handled: string[] = [];
    const fixed = new InboxFollower({
      inbox,
      cursor,
      handler: (item) => {
        handled.push(item.messageId);
      },
      logger: quiet,
    });
    await fixed.catchUp();
    expect(handled).toEqual([id]);
    expect((await client.getMessage(id)).status).toBe('delivered');
  });

  it('does not move its cursor past a message the webhook receiver is still handling', async () => {
    const cursor = new MemoryCursorStore();
    await new InboxFollower({ inbox, cursor, handler: () => undefined, logger: quiet }).catchUp();
    const before = await cursor.load();
    const id = await publishMissed(8);
    const dedupe = new MemoryDedupeStore();
    // The WebhookReceiver sharing the store has taken the message on and is still at it.
    expect(dedupe.claim(id, 60_000)).toBe('claimed');
    const handled: string[] = [];
    const follower = new InboxFollower({
      inbox,
      cursor,
      dedupe,
      handler: (item) => {
        handled.push(item.messageId);
      },
      logger: quiet,
    });
    expect(await follower.catchUp()).toMatchObject({ handled: 0, waitingFor: id });
    expect(await cursor.load()).toBe(before);
    expect((await client.getMessage(id)).status).toBe('pending'); // not acked

    // That handler fails, so the receiver lets the id go: the next catch-up hands it over.
    dedupe.release(id);
    const after = await follower.catchUp();
    expect(after).toMatchObject({ handled: 1 });
    expect(after.waitingFor).toBeUndefined();
    expect(handled).toEqual([id]);
    expect((await client.getMessage(id)).status).toBe('delivered');
    expect(dedupe.claim(id, 60_000)).toBe('done');
  });

  it('follows in the background until stopped', async () => {
    const handled: string[] = [];
    const cursor = new MemoryCursorStore();
    await new InboxFollower({ inbox, cursor, handler: () => undefined, logger: quiet }).catchUp();
    const follower = new InboxFollower({
      inbox,
      cursor,
      pollIntervalMs: 50,
      handler: (item) => {
        handled.push(item.messageId);
      },
      logger: quiet,
    });
    follower.start();
    try {
      const { id } = await client.publish({ eventType: 'order.paid', payload: { n: 7 } });
      await eventually(() => (handled.includes(id) ? true : undefined));
    } finally {
      await follower.stop();
    }
  });
});

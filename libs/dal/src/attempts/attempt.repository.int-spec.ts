import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { MessageEntity } from '../messages/message.entity';
import { MessageRepository } from '../messages/message.repository';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import type { AttemptEntity } from './attempt.entity';
import { AttemptRepository } from './attempt.repository';

const APP = 'app_1';
const T0 = new Date('2026-11-26T08:00:00.000Z');

function attempt(messageId: string, id: string, startedAtMs: number): AttemptEntity {
  return {
    _id: id,
    appId: APP,
    messageId,
    deliveryId: `dlv_${id}`,
    endpointId: 'ep_1',
    attempt: 1,
    startedAt: new Date(T0.getTime() + startedAtMs),
    durationMs: 5,
    outcome: 'failed',
    statusCode: 500,
  };
}

/** A notifier or API process: its own connection (pool) to the shared database. */
async function processOn(uri: string) {
  const connection = await openConnection(uri);
  const messageModel = connection.model<MessageEntity>('Message');
  return {
    connection,
    attempts: new AttemptRepository(connection.model<AttemptEntity>('Attempt'), messageModel),
    messages: new MessageRepository(messageModel, connection.model<DeliveryEntity>('Delivery')),
  };
}

describe('walking a message attempts while notifiers write them (real MongoDB)', () => {
  let api: Awaited<ReturnType<typeof processOn>>;
  let notifiers: Awaited<ReturnType<typeof processOn>>[];

  beforeAll(async () => {
    const uri = testDatabaseUri('test_attempts');
    api = await processOn(uri);
    notifiers = [await processOn(uri), await processOn(uri)];
  });
  afterAll(async () => {
    await api.connection.dropDatabase();
    for (const process of [api, ...notifiers]) await process.connection.close();
  });

  async function storeMessage(id: string): Promise<void> {
    await api.messages.insertMany([
      {
        _id: id,
        appId: APP,
        eventType: 'order.paid',
        payload: {},
        targetEndpointIds: ['ep_1'],
        status: 'pending',
        createdAt: T0,
      },
    ]);
  }

  /** Every page from `cursor` on; returns the items and the last non-null cursor. */
  async function walk(messageId: string, cursor: string | undefined, limit: number) {
    const items: AttemptEntity[] = [];
    let last = cursor;
    for (;;) {
      const page = await api.attempts.listByMessage(APP, messageId, {
        limit,
        ...(last === undefined ? {} : { cursor: last }),
      });
      items.push(...page.items);
      if (page.nextCursor === null) return { items, cursor: last };
      last = page.nextCursor;
    }
  }

  it('returns an attempt written after the walk passed its start time', async () => {
    await storeMessage('msg_late');
    await notifiers[0]!.attempts.insertMany([
      attempt('msg_late', 'b', 20_000),
      attempt('msg_late', 'c', 30_000),
    ]);
    const first = await api.attempts.listByMessage(APP, 'msg_late', { limit: 1 });
    expect(first.items.map((a) => a._id)).toEqual(['b']);
    const second = await api.attempts.listByMessage(APP, 'msg_late', {
      limit: 1,
      cursor: first.nextCursor!,
    });
    expect(second.items.map((a) => a._id)).toEqual(['c']);

    // Started before b, but a 60 s attempt is written when it ends, by the other notifier.
    await notifiers[1]!.attempts.insertMany([attempt('msg_late', 'a', 10_000)]);
    const resumed = await walk('msg_late', first.nextCursor!, 10);
    expect(resumed.items.map((a) => a._id)).toEqual(['c', 'a']);
  });

  it('never skips or repeats an attempt while two notifiers write them in any order', async () => {
    await storeMessage('msg_busy');
    const written = new Set<string>();
    // Two notifiers write attempts whose start times are anywhere in the last minute, as
    // attempts of up to 60 s ending now are; the walker keeps resuming from its last cursor.
    const write = async (index: number) => {
      for (let round = 0; round < 15; round += 1) {
        const batch = Array.from({ length: 4 }, (_, i) =>
          attempt('msg_busy', `n${index}_${round}_${i}`, Math.floor(Math.random() * 60_000)),
        );
        await notifiers[index]!.attempts.insertMany(batch);
        for (const item of batch) written.add(item._id);
      }
    };
    // Pages that gave a nextCursor are behind the walker for good; the last page (nextCursor
    // null) is read again when it resumes from its last cursor.
    const behind: string[] = [];
    let tail: string[] = [];
    let cursor: string | undefined;
    let writing = true;
    const writers = Promise.all([write(0), write(1)]).finally(() => {
      writing = false;
    });
    for (let done = false; !done;) {
      done = !writing;
      const page = await api.attempts.listByMessage(APP, 'msg_busy', {
        limit: 3,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const ids = page.items.map((a) => a._id);
      if (page.nextCursor === null) {
        tail = ids;
      } else {
        behind.push(...ids);
        cursor = page.nextCursor;
        done = false;
      }
    }
    await writers;
    const seen = [...behind, ...tail];

    expect(seen).toHaveLength(new Set(seen).size);
    expect(new Set(seen)).toEqual(written);
  });
});

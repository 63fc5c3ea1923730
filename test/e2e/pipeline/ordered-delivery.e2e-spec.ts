import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect } from 'amqplib';
import { EVENTS_EXCHANGE } from '@app/contracts';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { createEndpoint, messageWithStatus, publish } from './pipeline-helpers';

/** The load; ORDERED_E2E_MESSAGES runs a smaller one (a multiple of KEYS) on a busy machine. */
const MESSAGES = Number(process.env.ORDERED_E2E_MESSAGES ?? 20_000);
const KEYS = 200;
const FAILURE_RATE = 0.2;

/** One request the sink answered: when it came and when its answer was sent, on one clock. */
interface Attempt {
  key: string;
  sequence: number;
  n: number;
  start: number;
  end: number;
  ok: boolean;
}

/** A webhook recipient that records each request's ordering headers and answers as told. */
class OrderedSink {
  readonly attempts: Attempt[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly answer: (payload: { n: number }) => boolean) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const start = performance.now();
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        // The Standard Webhooks envelope: the payload is `data`.
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          data: { n: number };
        };
        const ok = this.answer(body.data);
        const attempt: Attempt = {
          key: String(req.headers['webhook-ordering-key']),
          sequence: Number(req.headers['webhook-sequence']),
          n: body.data.n,
          start,
          end: Number.POSITIVE_INFINITY,
          ok,
        };
        this.attempts.push(attempt);
        res.on('finish', () => (attempt.end = performance.now()));
        res.writeHead(ok ? 200 : 500).end(ok ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

/** The attempts of each key, in the order they started. */
function byKey(attempts: readonly Attempt[]): Map<string, Attempt[]> {
  const keys = new Map<string, Attempt[]>();
  for (const attempt of [...attempts].sort((a, b) => a.start - b.start)) {
    keys.set(attempt.key, [...(keys.get(attempt.key) ?? []), attempt]);
  }
  return keys;
}

/** Where, for a key, an attempt of sequence s+1 started before the last attempt of s ended. */
function overlaps(attempts: readonly Attempt[]): string[] {
  const bySequence = new Map<number, Attempt[]>();
  for (const a of attempts) bySequence.set(a.sequence, [...(bySequence.get(a.sequence) ?? []), a]);
  const found: string[] = [];
  for (const [sequence, mine] of bySequence) {
    const next = bySequence.get(sequence + 1);
    if (next === undefined) continue;
    const lastEnd = Math.max(...mine.map((a) => a.end));
    const firstStart = Math.min(...next.map((a) => a.start));
    if (firstStart < lastEnd) found.push(`${mine[0]!.key}#${sequence + 1}`);
  }
  return found;
}

describe('pipeline: ordered delivery per key', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await TestPlatform.start({
      notifiers: 2,
      env: { ENDPOINT_CONCURRENCY: '100', RETRY_SCHEDULE: '100ms,200ms' },
    });
  });
  afterAll(async () => {
    await platform.stop();
  });

  it(`two notifiers, ${MESSAGES} messages over ${KEYS} keys, a sink failing ${FAILURE_RATE * 100}% of attempts: each key one at a time, in published order, nothing lost`, async () => {
    const sink = await new OrderedSink(() => Math.random() >= FAILURE_RATE).start();
    try {
      const app = await platform.createApp('ordered-load');
      await createEndpoint(platform, app.apiKey, {
        url: sink.url,
        ordered: true,
        retrySchedule: ['100ms', '200ms'],
      });
      const began = Date.now();
      // One producer, publishing in order on one confirm channel.
      const connection = await connect(platform.amqpUrl);
      const channel = await connection.createConfirmChannel();
      for (let n = 0; n < MESSAGES; n++) {
        const key = `key-${n % KEYS}`;
        channel.publish(
          EVENTS_EXCHANGE,
          'order.updated',
          Buffer.from(
            JSON.stringify({ eventType: 'order.updated', payload: { n }, orderingKey: key }),
          ),
          { persistent: true, headers: { 'x-app-id': app.id } },
        );
        if (n % 1_000 === 999) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
      await connection.close();

      const messages = platform.db.collection('messages');
      await eventually(
        async () =>
          (await messages.countDocuments({ appId: app.id, status: { $ne: 'pending' } })) ===
          MESSAGES
            ? true
            : undefined,
        { timeoutMs: 900_000, intervalMs: 1_000, what: `all ${MESSAGES} messages to end` },
      );
      const tookMs = Date.now() - began;
      console.log(`ordered load: ${MESSAGES} messages over ${KEYS} keys ended in ${tookMs} ms`);

      // Nothing lost: every message has its delivery, each ended; each key numbered 1..100 in
      // published order.
      const deliveries = await platform.db
        .collection('deliveries')
        .aggregate<{ _id: string; status: string; sequence: number; n: number; attempts: number }>([
          { $match: { appId: app.id } },
          { $lookup: { from: 'messages', localField: 'messageId', foreignField: '_id', as: 'm' } },
          {
            $project: {
              _id: '$ordering.key',
              status: 1,
              sequence: '$ordering.sequence',
              n: { $first: '$m.payload.n' },
              attempts: '$attemptCount',
            },
          },
        ])
        .toArray();
      expect(deliveries).toHaveLength(MESSAGES);
      expect(deliveries.filter((d) => !['succeeded', 'failed'].includes(d.status))).toEqual([]);
      const perKey = MESSAGES / KEYS;
      for (const [key, list] of byKeyOf(deliveries)) {
        const inOrder = [...list].sort((a, b) => a.sequence - b.sequence);
        expect({ key, sequences: inOrder.map((d) => d.sequence) }).toEqual({
          key,
          sequences: Array.from({ length: perKey }, (_, i) => i + 1),
        });
        const published = inOrder.map((d) => d.n);
        expect({ key, published }).toEqual({
          key,
          published: [...published].sort((a, b) => a - b),
        });
      }
      // No delivery failed before its schedule ran out. (The sink's count of attempts is not
      // compared: an attempt that timed out under load may never reach it, and one whose outcome
      // came after its lease ended is made again.)
      expect(deliveries.filter((d) => d.status === 'failed' && d.attempts !== 3)).toEqual([]);

      const keys = byKey(sink.attempts);
      expect(keys.size).toBe(KEYS);
      let repeated = 0;
      for (const [key, attempts] of keys) {
        // No attempt of n+1 before the last attempt of n ended.
        expect({ key, overlaps: overlaps(attempts) }).toEqual({ key, overlaps: [] });
        // What succeeded arrived in sequence order, and in published order. A success may come
        // twice (at least once: its outcome was written after its lease ended, so it was made
        // again), but never after the next one's: the key goes on only once an outcome is written.
        const succeeded = attempts.filter((a) => a.ok);
        const sequences = succeeded.map((a) => a.sequence);
        expect({ key, sequences }).toEqual({
          key,
          sequences: [...sequences].sort((a, b) => a - b),
        });
        repeated += sequences.length - new Set(sequences).size;
      }
      console.log(`ordered load: ${repeated} successes made again (at least once)`);
      // Every delivery that succeeded was answered 2xx at the sink.
      const answered = new Set(
        sink.attempts.filter((a) => a.ok).map((a) => `${a.key}#${a.sequence}`),
      );
      expect(
        deliveries
          .filter((d) => d.status === 'succeeded' && !answered.has(`${d._id}#${d.sequence}`))
          .map((d) => `${d._id}#${d.sequence}`),
      ).toEqual([]);
    } finally {
      await sink.stop();
    }
  }, 1_000_000);

  it('orders HTTP and AMQP publishes alike; blocks on a failure until skipped; inbox and headers carry the key', async () => {
    // Message 3 always fails: with orderedBlockOnFailure the key waits for an operator.
    const sink = await new OrderedSink(({ n }) => n !== 3).start();
    try {
      const app = await platform.createApp('ordered-block');
      const endpoint = await createEndpoint(platform, app.apiKey, {
        url: sink.url,
        ordered: true,
        orderedBlockOnFailure: true,
        retrySchedule: ['50ms'],
      });
      expect(endpoint).toMatchObject({ ordered: true, orderedBlockOnFailure: true });
      const connection = await connect(platform.amqpUrl);
      const channel = await connection.createConfirmChannel();
      const ids: string[] = [];
      for (let n = 0; n < 6; n++) {
        const body = { eventType: 'order.updated', payload: { n }, orderingKey: 'order/42' };
        if (n % 2 === 0) {
          ids.push(await publish(platform, app.apiKey, body));
        } else {
          channel.publish(EVENTS_EXCHANGE, 'order.updated', Buffer.from(JSON.stringify(body)), {
            headers: { 'x-app-id': app.id },
          });
          await channel.waitForConfirms();
        }
      }
      await connection.close();

      const blocked = await eventually(async () => {
        const { body } = await platform.request(
          'GET',
          `/v1/endpoints/${endpoint.id}/ordering-keys?blocked=true`,
          app.apiKey,
        );
        return body.data?.length === 1 ? body.data[0] : undefined;
      });
      expect(blocked).toMatchObject({
        key: 'order/42',
        lastSequence: 6,
        blocked: { sequence: 4, reason: expect.stringContaining('500') },
      });
      // Nothing after the blocked one was attempted.
      expect(sink.attempts.map((a) => [a.n, a.sequence])).toEqual([
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [3, 4],
      ]);

      const skipPath = (key: string) =>
        `/v1/endpoints/${endpoint.id}/ordering-keys/${encodeURIComponent(key)}/skip`;
      const skipped = await platform.request('POST', skipPath('order/42'), app.apiKey);
      expect(skipped.status).toBe(200);
      expect(skipped.body).toMatchObject({ key: 'order/42', blocked: null });
      await eventually(() => (sink.attempts.length === 7 ? true : undefined));
      expect(sink.attempts.slice(5).map((a) => [a.n, a.sequence])).toEqual([
        [4, 5],
        [5, 6],
      ]);
      expect((await platform.request('POST', skipPath('order/42'), app.apiKey)).status).toBe(409);
      expect((await platform.request('POST', skipPath('nope'), app.apiKey)).status).toBe(404);

      // The message view and the inbox carry the key and the sequence.
      const last = await messageWithStatus(platform, app.apiKey, ids[2]!, 'delivered');
      expect(last).toMatchObject({ orderingKey: 'order/42', deliveries: [{ sequence: 5 }] });
      const inbox = await platform.request('GET', '/v1/inbox?limit=10', endpoint.recipientToken);
      expect(
        inbox.body.data.map((item: { sequence: number; orderingKey: string }) => [
          item.orderingKey,
          item.sequence,
        ]),
      ).toEqual([1, 2, 3, 4, 5, 6].map((s) => ['order/42', s]));
    } finally {
      await sink.stop();
    }
  });

  it('refuses an ordering key it cannot send as a header, naming the field', async () => {
    const app = await platform.createApp('ordered-bad');
    const { status, body } = await platform.request('POST', '/v1/messages', app.apiKey, {
      eventType: 'order.updated',
      payload: {},
      orderingKey: 'line\nbreak',
    });
    expect(status).toBe(400);
    expect(body.error.details).toEqual([
      { field: 'orderingKey', message: expect.stringContaining('printable ASCII') },
    ]);
  });
});

function byKeyOf<T extends { _id: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item._id, [...(groups.get(item._id) ?? []), item]);
  return groups;
}

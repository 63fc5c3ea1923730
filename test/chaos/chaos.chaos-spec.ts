import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Options } from 'amqplib';
import { mongo } from 'mongoose';
import { idempotentMessageId } from '@app/contracts';
import { startLocalMongo, withDatabase, type LocalMongo } from '@app/local-mongodb';
import { buildProject, type Build } from '../support/build-ts';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';
import { Recipient } from '../support/recipient';
import { ServiceProcess } from '../support/service-process';
import { AmqpProducer, producePaced } from './amqp-producer';
import { MintedMessages } from './minted-messages';
import { PrivateRabbit } from './private-rabbit';
import {
  ADMIN_KEY,
  apiClient,
  keepLogsAndKill,
  log,
  SECRETS_KEY,
  sleep,
  storedMessageIds,
} from './run-support';

/** Scale: CHAOS_MESSAGES=600 while developing, thousands for the figures. */
const MESSAGES = Number(process.env.CHAOS_MESSAGES ?? 3_000);
/** Messages are published evenly over this long, so every fault strikes mid-run. */
const PRODUCE_MS = Number(process.env.CHAOS_PRODUCE_SECONDS ?? 60) * 1_000;
const GARBAGE = Number(process.env.CHAOS_GARBAGE ?? 500);
/** Published with no message id: intake mints each one's and writes it unconfirmed. */
const MINTED = Math.floor(MESSAGES / 4);
const DRAIN_TIMEOUT_MS = 240_000;

/** What the HTTP producer saw: it retries until 202, like a producer that must not lose one. */
interface HttpStats {
  accepted: number;
  unavailable: number;
  unreachable: number;
  /** The slowest 503: a dependency being down must be answered, not hang the request. */
  slowest503Ms: number;
  other: string[];
  lastAcceptedAt: number;
}

/** The malformed messages of the flood: each kind the intake must refuse, never loop on. */
function garbage(i: number, appId: string) {
  const options: Options.Publish = { messageId: `garbage-${i}`, headers: { 'x-app-id': appId } };
  switch (i % 5) {
    case 0:
      return { routingKey: 'garbage', content: Buffer.from(`not json ${i}`), options };
    case 1:
      return {
        routingKey: 'garbage',
        content: Buffer.from(JSON.stringify({ eventType: 'bad type!', payload: [i] })),
        options,
      };
    case 2:
      return {
        routingKey: 'chaos.garbage',
        content: Buffer.from(JSON.stringify({ eventType: 'chaos.garbage', payload: { i } })),
        options: { ...options, headers: { 'x-app-id': `app_unknown_${i}` } },
      };
    case 3:
      return {
        routingKey: 'chaos.garbage',
        content: Buffer.from(JSON.stringify({ eventType: 'chaos.garbage', payload: { i } })),
        options: { ...options, headers: {} },
      };
    default:
      return {
        routingKey: 'chaos.garbage',
        content:
          i % 100 === 4
            ? Buffer.from(
                JSON.stringify({
                  eventType: 'chaos.big',
                  payload: { blob: 'x'.repeat(300 * 1024) },
                }),
              )
            : Buffer.from(JSON.stringify([{ eventType: 'chaos.garbage' }])),
        options,
      };
  }
}

describe('chaos: crashes, outages, garbage and a hanging endpoint lose nothing', () => {
  let build: Build | undefined;
  let rabbit: PrivateRabbit | undefined;
  let database: LocalMongo | undefined;
  let dataDir: string | undefined;
  const recipient = new Recipient();
  const processes: ServiceProcess[] = [];

  afterAll(async () => {
    await keepLogsAndKill(processes, 'chaos-logs');
    await recipient.stop();
    await database?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    await rabbit?.close();
    await build?.remove();
  });

  it('delivers every accepted message to every healthy endpoint, and dead-letters all garbage', async () => {
    const suiteStart = Date.now();
    [build] = await Promise.all([buildProject('tsconfig.build.json'), recipient.start()]);
    rabbit = await PrivateRabbit.start(log);
    dataDir = await mkdtemp(join(tmpdir(), 'chaos-mongo-'));
    database = await startLocalMongo({ dbPath: dataDir });
    const mongoPort = Number(new URL(database.uri).port);
    const mongoUri = withDatabase(database.uri, 'chaos');
    const port = await freePort();
    const env = {
      MONGODB_URI: mongoUri,
      AMQP_URL: rabbit.url,
      ADMIN_API_KEY: ADMIN_KEY,
      SECRETS_KEY,
      TARGET_ALLOWLIST: '127.0.0.0/8,::1/128',
      LEASE_DURATION: '15s',
      SCHEDULER_INTERVAL: '100ms',
      CIRCUIT_BREAKER_COOLDOWN: '5s',
      PORT: String(port),
    };
    const start = (service: 'api' | 'notifier', name: string) => {
      const child = ServiceProcess.start(build!, service, env, name);
      processes.push(child);
      return child;
    };
    // One after the other: the first creates the collections, which the local MongoDB under wine
    // must not see done twice at once (ADR 0003).
    const api = start('api', 'api');
    await api.waitForLog('listening on', 60_000);
    const notifiers: ServiceProcess[] = [];
    for (const name of ['notifier-1', 'notifier-2']) {
      notifiers.push(start('notifier', name));
      await notifiers.at(-1)!.waitForLog('running: consuming intake', 60_000);
    }
    const baseUrl = `http://127.0.0.1:${port}`;
    log(
      `set up in ${((Date.now() - suiteStart) / 1000).toFixed(1)} s (build, RabbitMQ node, MongoDB, 3 processes)`,
    );

    const request = apiClient(baseUrl);
    const app = (await request('POST', '/v1/apps', ADMIN_KEY, { name: 'chaos' })).body;
    const fast = { retrySchedule: ['1s', '2s', '3s', '5s', '5s', '5s', '5s', '5s', '5s', '5s'] };
    const endpoints = {
      all: (
        await request('POST', '/v1/endpoints', app.apiKey, {
          channel: 'webhook',
          url: recipient.url('/all'),
          eventTypes: ['chaos.*'],
          ...fast,
        })
      ).body,
      http: (
        await request('POST', '/v1/endpoints', app.apiKey, {
          channel: 'webhook',
          url: recipient.url('/http'),
          eventTypes: ['chaos.http'],
          ...fast,
        })
      ).body,
      amqp: (
        await request('POST', '/v1/endpoints', app.apiKey, {
          channel: 'webhook',
          url: recipient.url('/amqp'),
          eventTypes: ['chaos.amqp'],
          ...fast,
        })
      ).body,
      hang: (
        await request('POST', '/v1/endpoints', app.apiKey, {
          channel: 'webhook',
          url: recipient.url('/hang'),
          eventTypes: ['chaos.*'],
          timeoutMs: 2_000,
        })
      ).body,
    };
    recipient.answer('/hang', 'hang');
    for (const endpoint of Object.values(endpoints)) expect(endpoint.id).toMatch(/^ep_/);
    // Another app, whose producer sets no message id (MintedMessages).
    const minted = await MintedMessages.create(request, recipient, MINTED, 'chaos-minted', fast);

    const half = Math.floor(MESSAGES / 2);
    const httpIds = Array.from({ length: half }, (_, i) =>
      idempotentMessageId(app.id, `http-${i}`),
    );
    const amqpIds = Array.from({ length: MESSAGES - half }, (_, i) =>
      idempotentMessageId(app.id, `amqp-${i}`),
    );
    const productionStart = Date.now();
    const dueAt = (i: number, count: number) =>
      productionStart + Math.floor((i * PRODUCE_MS) / count);

    // HTTP producer: 8 at a time, each retried until 202 (503 while a dependency is down).
    const http: HttpStats = {
      accepted: 0,
      unavailable: 0,
      unreachable: 0,
      slowest503Ms: 0,
      other: [],
      lastAcceptedAt: 0,
    };
    let nextHttp = 0;
    const httpWorker = async () => {
      for (let i = nextHttp++; i < half; i = nextHttp++) {
        const wait = dueAt(i, half) - Date.now();
        if (wait > 0) await sleep(wait);
        for (;;) {
          try {
            const sentAt = Date.now();
            const { status, body } = await request('POST', '/v1/messages', app.apiKey, {
              eventType: 'chaos.http',
              payload: { seq: i, via: 'http' },
              idempotencyKey: `http-${i}`,
            });
            if (status === 202) {
              expect(body.id).toBe(httpIds[i]);
              http.accepted += 1;
              http.lastAcceptedAt = Date.now();
              break;
            }
            if (status === 503) {
              http.unavailable += 1;
              http.slowest503Ms = Math.max(http.slowest503Ms, Date.now() - sentAt);
            } else http.other.push(`${status} ${JSON.stringify(body)}`);
          } catch {
            http.unreachable += 1;
          }
          await sleep(250);
        }
      }
    };
    const httpDone = Promise.all(Array.from({ length: 8 }, httpWorker));

    // AMQP producers: what is due every 100 ms, one confirm per batch.
    const amqp = new AmqpProducer(rabbit.url);
    const amqpDone = producePaced(amqp, amqpIds.length, dueAt, (i) => ({
      eventType: 'chaos.amqp',
      payload: { seq: i, via: 'amqp' },
      options: { messageId: `amqp-${i}`, headers: { 'x-app-id': app.id } },
    }));
    const mintedProducer = new AmqpProducer(rabbit.url);
    const mintedDone = minted.produce(mintedProducer, dueAt);

    // The faults, while messages keep coming.
    const at = (fraction: number) =>
      sleep(Math.max(0, productionStart + fraction * PRODUCE_MS - Date.now()));
    const faults: string[] = [];
    const mark = (what: string) => {
      faults.push(`${what} at ${((Date.now() - productionStart) / 1000).toFixed(1)} s`);
      log(faults.at(-1)!);
    };
    const chaos = (async () => {
      await at(0.2);
      await notifiers[0]!.stop('SIGKILL');
      mark('notifier-1 SIGKILLed');
      notifiers.push(start('notifier', 'notifier-3'));
      mark('notifier-3 started');

      await at(0.3);
      const flood = new AmqpProducer(rabbit.url);
      for (let i = 0; i < GARBAGE; i += 50) {
        await flood.publish(
          Array.from({ length: Math.min(50, GARBAGE - i) }, (_, k) => garbage(i + k, app.id)),
        );
      }
      await flood.close();
      mark(`${GARBAGE} malformed messages published`);

      await at(0.4);
      await rabbit.stopApp();
      mark('RabbitMQ stopped');
      await sleep(5_000);
      await rabbit.startApp();
      mark('RabbitMQ started');

      await at(0.65);
      await database.stop();
      mark('MongoDB stopped');
      await sleep(8_000);
      database = await startLocalMongo({ dbPath: dataDir, port: mongoPort });
      mark('MongoDB started');
    })();

    await Promise.all([httpDone, amqpDone, mintedDone, chaos]);
    await amqp.close();
    await mintedProducer.close();
    const lastAcceptedAt = Math.max(
      http.lastAcceptedAt,
      amqp.lastConfirmedAt,
      mintedProducer.lastConfirmedAt,
    );
    log(`production done after ${((lastAcceptedAt - productionStart) / 1000).toFixed(1)} s`);

    // Drain: every accepted message at the endpoint for all and at the one for its path.
    const missing = () => {
      const all = recipient.ids('/all');
      const byHttp = recipient.ids('/http');
      const byAmqp = recipient.ids('/amqp');
      return [
        ...httpIds.filter((id) => !all.has(id) || !byHttp.has(id)),
        ...amqpIds.filter((id) => !all.has(id) || !byAmqp.has(id)),
        ...minted.missing(),
      ];
    };
    let drainedAt: number | undefined;
    try {
      drainedAt = await eventually(() => (missing().length === 0 ? Date.now() : undefined), {
        timeoutMs: DRAIN_TIMEOUT_MS,
        intervalMs: 250,
        what: 'every accepted message to reach its healthy endpoints',
      });
    } catch {
      // Reported below with the figures.
    }

    // The dead-letter queue: all the garbage (each distinct message id), nothing else.
    const consumer = await connect(rabbit.url);
    const channel = await consumer.createChannel();
    const deadIds = new Set<string>();
    let deadTotal = 0;
    let withoutReason = 0;
    const strays: string[] = [];
    for (;;) {
      const message = await channel.get('notify.events.dead', { noAck: true });
      if (message === false) break;
      deadTotal += 1;
      const id = String(message.properties.messageId);
      if (!id.startsWith('garbage-')) strays.push(id);
      deadIds.add(id);
      if (typeof message.properties.headers?.['x-error'] !== 'string') withoutReason += 1;
    }
    await consumer.close();

    // What MongoDB holds: every message stored, and a delivery of each to the hanging endpoint.
    const client = new mongo.MongoClient(mongoUri);
    const db = client.db();
    const storedIds = await storedMessageIds(db, app.id);
    const stored = storedIds.size;
    // Every id a recipient got is one the API shows, even for a message stored again after its
    // unconfirmed writes were lost.
    const mintedStored = await minted.stored(db);
    const mintedUnknown = minted.unknownIds(mintedStored);
    const hanging = await db
      .collection('deliveries')
      .aggregate<{ _id: string; n: number }>([
        { $match: { endpointId: endpoints.hang.id } },
        { $group: { _id: '$status', n: { $sum: 1 } } },
      ])
      .toArray();
    const notStored = [...httpIds, ...amqpIds].filter((id) => !storedIds.has(id));
    for (const id of notStored.slice(0, 10)) {
      const deliveries = await db.collection('deliveries').find({ messageId: id }).toArray();
      const attempts = await db.collection('attempts').countDocuments({ messageId: id });
      log(
        `not stored: ${id} (${httpIds.includes(id) ? 'http' : 'amqp'} #${[...httpIds, ...amqpIds].indexOf(id)}): ${deliveries.length} deliveries ${JSON.stringify(deliveries.map((d) => [d.endpointId === endpoints.hang.id ? 'hang' : 'ok', d.status, d.attemptCount, d.createdAt]))}, ${attempts} attempts`,
      );
    }
    const withHang = new Set(
      (
        await db
          .collection<{ messageId: string }>('deliveries')
          .find({ endpointId: endpoints.hang.id }, { projection: { messageId: 1 } })
          .toArray()
      ).map((d) => d.messageId),
    );
    for (const id of [...httpIds, ...amqpIds].filter((id) => !withHang.has(id)).slice(0, 10)) {
      const message = await db.collection('messages').findOne({ _id: id as never });
      const deliveries = await db.collection('deliveries').find({ messageId: id }).toArray();
      log(
        `no delivery to the hanging endpoint: ${id} created ${message?.createdAt?.toISOString()}, targets ${JSON.stringify(message?.targetEndpointIds)}, deliveries ${JSON.stringify(deliveries.map((d) => [d.endpointId, d.status, d.createdAt]))}`,
      );
    }
    const hangingAttempts = await db
      .collection('attempts')
      .countDocuments({ endpointId: endpoints.hang.id });
    const circuit = await db.collection('endpoints').findOne({ _id: endpoints.hang.id as never });
    await client.close();

    const lost = missing().length;
    const duplicates =
      recipient.duplicates('/all') + recipient.duplicates('/http') + recipient.duplicates('/amqp');
    const deliveries = 2 * MESSAGES;
    const garbageIds = Array.from({ length: GARBAGE }, (_, i) => `garbage-${i}`);
    const deadLettered = garbageIds.filter((id) => deadIds.has(id)).length;
    const drainMs = drainedAt === undefined ? undefined : drainedAt - lastAcceptedAt;
    log('--- figures ---');
    log(
      `messages accepted: ${MESSAGES} (HTTP ${http.accepted}, AMQP ${amqpIds.length}); stored: ${stored}`,
    );
    log(
      `HTTP answers while retrying: ${http.unavailable} x 503 (slowest ${http.slowest503Ms} ms), ${http.other.length} other, ${http.unreachable} unreachable; AMQP batches republished: ${amqp.retries}`,
    );
    log(
      `deliveries to healthy endpoints: ${deliveries} expected, lost ${lost}, duplicates ${duplicates} (${((100 * duplicates) / deliveries).toFixed(2)} %)`,
    );
    log(
      `hanging endpoint: deliveries ${JSON.stringify(Object.fromEntries(hanging.map((h) => [h._id, h.n])))}, attempts ${hangingAttempts}, circuit opened ${circuit?.circuitOpenings ?? 0} times, max ${recipient.maxOpen.get('/hang') ?? 0} requests open at once`,
    );
    log(
      `garbage: ${GARBAGE} published, ${deadLettered} in notify.events.dead (${deadTotal} dead-lettered copies, ${withoutReason} without x-error, ${strays.length} valid messages among them)`,
    );
    const mintedRepeats = minted.repeats().length;
    log(
      `minted: ${MINTED} published, ${mintedStored.size} stored (a redelivery after a crash is minted anew), ${minted.received().size} received, ${mintedRepeats} repeated, ${mintedUnknown.length} ids the API does not show`,
    );
    log(`faults: ${faults.join('; ')}`);
    log(
      `time to drain after the last accepted message: ${drainMs === undefined ? 'did not drain' : `${(drainMs / 1000).toFixed(1)} s`}; whole run ${((Date.now() - suiteStart) / 1000).toFixed(1)} s`,
    );

    expect(http.accepted).toBe(half);
    expect(http.other).toEqual([]);
    // Answered, not hung: at most PUBLISH_TIMEOUT (5 s) or MongoDB's server selection (5 s).
    expect(http.slowest503Ms).toBeLessThan(8_000);
    expect(stored).toBe(MESSAGES);
    expect(lost).toBe(0);
    expect(mintedUnknown).toEqual([]);
    expect(mintedRepeats).toBeLessThanOrEqual(Math.max(20, MINTED * 0.05));
    // At-least-once: a crash or an outage may repeat an attempt, but rarely.
    expect(duplicates).toBeLessThanOrEqual(Math.max(20, deliveries * 0.05));
    expect(deadLettered).toBe(GARBAGE);
    expect(strays).toEqual([]);
    expect(withoutReason).toBe(0);
    // The hanging endpoint has all its deliveries, none lost and none falsely succeeded.
    expect(hanging.reduce((sum, h) => sum + h.n, 0)).toBe(MESSAGES);
    expect(hanging.find((h) => h._id === 'succeeded')).toBeUndefined();

    // The survivors stop gracefully under load.
    for (const notifier of notifiers.slice(1))
      expect((await notifier.stop('SIGTERM')).code).toBe(0);
    expect((await api.stop('SIGTERM')).code).toBe(0);
  });
});

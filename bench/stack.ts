import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mongo } from 'mongoose';
import { log, type Context } from './measure';
import type { Options } from './options';
import { watchMemory, type BenchProcess } from './processes';
import { naiveQueue, PLATFORM, Publisher, type Batch } from './publisher';
import {
  ADMIN_KEY,
  BrokerProbe,
  callApi,
  createBenchVhost,
  ensureBenchMongo,
  NAIVE_QUEUE,
  startApi,
  startNaive,
  startNotifier,
  waitForIntakeConsumers,
  type PlatformEnv,
} from './setup';
import { WebhookSink } from './webhook-sink';

/** Everything a run starts, and how to stop it all again. */
export interface Stack {
  ctx: Context;
  env: PlatformEnv;
  /** The notifiers' environment for this run (--env). */
  notifierEnv: Record<string, string>;
  mongoDescription: string;
  logDir: string;
  profileDir: string;
  appId: string;
  /** The API's address and the bench app's key, for measures that set up more. */
  api: { url: string; apiKey: string };
  /** The ten endpoints of the fan-out (the retries are spread over them too). */
  fanEndpoints: string[];
  /** A batch for the platform (AMQP to notify.events) or for the naive pipeline (its queue). */
  ours(eventType: string, phase: string): Batch;
  theirs(eventType: string, phase: string): Batch;
  startNotifier(name: string, env?: Record<string, string>): BenchProcess;
  stop(): Promise<void>;
}

export async function startStack(options: Options): Promise<Stack> {
  const runId = randomBytes(4).toString('hex');
  const logDir = await mkdtemp(join(tmpdir(), 'notify-bench-'));
  const profileDir = join(logDir, 'profiles');
  if (options.profile) await mkdir(profileDir);
  const cleanups: (() => Promise<void>)[] = [];
  const processes: BenchProcess[] = [];
  const stopWatching = watchMemory(() => processes);
  // Whatever ends this process, it takes its children with it.
  process.on('exit', () => {
    for (const p of processes) if (p.alive) process.kill(p.pid, 'SIGKILL');
  });
  const stop = async () => {
    stopWatching();
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
    }
  };
  try {
    const mongoHandle = await ensureBenchMongo(runId, log);
    cleanups.push(() => mongoHandle.stop());
    const client = await new mongo.MongoClient(mongoHandle.uri).connect();
    const db = client.db();
    cleanups.push(async () => {
      if (options.keep) log(`kept the database ${db.databaseName}`);
      else await db.dropDatabase().catch(() => undefined);
      await client.close();
    });
    const vhost = await createBenchVhost(runId);
    cleanups.push(() => vhost.remove());
    const env: PlatformEnv = { mongodbUri: mongoHandle.uri, amqpUrl: vhost.url, logDir };
    const sink = await WebhookSink.start();
    cleanups.push(() => sink.stop());
    cleanups.push(async () => {
      await Promise.all(processes.map((p) => p.stop()));
    });
    const probe = await BrokerProbe.open(vhost.url);
    cleanups.push(() => probe.close());

    log('starting a notifier, the API and the naive pipeline');
    // One after the other: the first creates the collections and indexes (mongod under wine can
    // crash when several clients create the same collections at once).
    const notifierEnv = { ...options.notifierEnv };
    const profiling = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    processes.push(
      startNotifier('notifier-1', env, notifierEnv, [...options.nodeArgs, ...profiling]),
    );
    await waitForIntakeConsumers(probe, 1, processes);
    const api = await startApi(env);
    processes.push(api.process);
    await db.createCollection('naive_messages');
    processes.push(
      startNaive(env, {
        'bench.single': [sink.url('/naive/single')],
        'bench.fanout': Array.from({ length: 10 }, (_, i) => sink.url(`/naive/fan/${i}`)),
      }),
    );
    await probe.waitForConsumers(NAIVE_QUEUE, 1, processes);

    const app = await callApi<{ id: string; apiKey: string }>(api.url, ADMIN_KEY, '/v1/apps', {
      name: 'bench',
    });
    const endpoint = async (path: string, eventType: string, ordered = false) =>
      (
        await callApi<{ id: string }>(api.url, app.apiKey, '/v1/endpoints', {
          channel: 'webhook',
          url: sink.url(path),
          eventTypes: [eventType],
          ordered,
        })
      ).id;
    await endpoint('/single', 'bench.single');
    await endpoint('/slow/single', 'bench.slow');
    await endpoint('/ordered', 'bench.ordered', true);
    const fanEndpoints: string[] = [];
    for (let i = 0; i < 10; i++) fanEndpoints.push(await endpoint(`/fan/${i}`, 'bench.fanout'));

    const publisher = await Publisher.open(vhost.url);
    cleanups.push(() => publisher.close());
    return {
      ctx: { sink, publisher, probe, db, processes },
      env,
      notifierEnv,
      mongoDescription: mongoHandle.description,
      logDir,
      profileDir,
      appId: app.id,
      api: { url: api.url, apiKey: app.apiKey },
      fanEndpoints,
      ours: (eventType, phase) => ({ target: PLATFORM, appId: app.id, eventType, phase }),
      theirs: (eventType, phase) => ({
        target: naiveQueue(NAIVE_QUEUE),
        appId: app.id,
        eventType,
        phase,
      }),
      startNotifier: (name, notifierEnvOverride = notifierEnv) => {
        const notifier = startNotifier(name, env, notifierEnvOverride, options.nodeArgs);
        processes.push(notifier);
        return notifier;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

import { ConnectionString } from 'mongodb-connection-string-url';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { INTAKE_QUEUE, parseBrokerUrls } from '@app/contracts';
import { startLocalMongo, withDatabase } from '@app/local-mongodb';
import { assertTopology } from '@app/messaging';
import { spawnNode, type BenchProcess } from './processes';

const run = promisify(execFile);
const DIST = join(__dirname, '..');
export const API_MAIN = join(DIST, 'apps/api/src/main.js');
export const NOTIFIER_MAIN = join(DIST, 'apps/notifier/src/main.js');
export const NAIVE_MAIN = join(__dirname, 'naive-pipeline.js');
export const NAIVE_QUEUE = 'bench.naive';
export const ADMIN_KEY = `bench-admin-${randomBytes(12).toString('hex')}`;

export interface Mongo {
  uri: string;
  /** What the table says about it. */
  description: string;
  stop(): Promise<void>;
}

/** MONGODB_URI when set (a database of the run's own in it), else a throwaway local MongoDB. */
export async function ensureBenchMongo(runId: string, log: (line: string) => void): Promise<Mongo> {
  const configured = process.env.MONGODB_URI;
  if (configured !== undefined && configured !== '') {
    return {
      uri: withDatabase(configured, `bench_${runId}`),
      description: `MONGODB_URI (${new ConnectionString(configured).hosts.join(',')})`,
      stop: () => Promise.resolve(),
    };
  }
  log('MONGODB_URI is not set: starting a throwaway local MongoDB (as the tests do)');
  const local = await startLocalMongo({ log: (line) => log(`  [local-mongodb] ${line}`) });
  return {
    uri: withDatabase(local.uri, `bench_${runId}`),
    description: 'local MongoDB started by the bench',
    stop: () => local.stop(),
  };
}

/** A RabbitMQ vhost of the run's own (rabbitmqctl), so nothing else consumes our queues. */
export async function createBenchVhost(
  runId: string,
): Promise<{ url: string; remove(): Promise<void> }> {
  // AMQP_URL may list a cluster's nodes: the vhost is the cluster's, reached through the first.
  const list = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const base = new URL(parseBrokerUrls(list)[0]!);
  const name = `notify-bench-${runId}`;
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  const user = decodeURIComponent(base.username || 'guest');
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, user, '.*', '.*', '.*']);
  base.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: base.toString(),
    remove: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]).catch(() => undefined);
    },
  };
}

/** The broker as the bench sees it: queue depths and consumer counts. */
export class BrokerProbe {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly vhost: string,
  ) {}

  static async open(url: string): Promise<BrokerProbe> {
    const connection = await connect(url);
    connection.on('error', () => undefined);
    // The platform's exchange and queues, declared as the platform does, so they can be watched
    // before the first notifier is up.
    await assertTopology(connection);
    const channel = await connection.createChannel();
    // The naive pipeline's queue, a quorum queue like the platform's intake queue.
    await channel.assertQueue(NAIVE_QUEUE, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    return new BrokerProbe(connection, channel, decodeURIComponent(new URL(url).pathname.slice(1)));
  }

  async queue(name: string): Promise<{ messages: number; consumers: number }> {
    const { messageCount, consumerCount } = await this.channel.checkQueue(name);
    return { messages: messageCount, consumers: consumerCount };
  }

  async waitForConsumers(name: string, count: number, processes: BenchProcess[]): Promise<void> {
    await waitFor(`${count} consumer(s) on ${name}`, 60_000, processes, async () => {
      const consumers = await this.consumersOf(name).catch(() => 0);
      return consumers >= count;
    });
  }

  /**
   * Consumers of the queue, standbys included: the intake queue has a single active consumer
   * (ADR 0013), and the broker's declare-ok counts only that one.
   */
  private async consumersOf(name: string): Promise<number> {
    const { stdout } = await run('rabbitmqctl', [
      '-q',
      'list_consumers',
      '-p',
      this.vhost,
      '--no-table-headers',
      'queue_name',
    ]);
    return stdout.split('\n').filter((line) => line.trim() === name).length;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

export interface PlatformEnv {
  mongodbUri: string;
  amqpUrl: string;
  logDir: string;
}

export async function startApi(env: PlatformEnv): Promise<{ process: BenchProcess; url: string }> {
  const port = await freePort();
  const api = spawnNode('api', API_MAIN, {
    logDir: env.logDir,
    env: {
      PORT: String(port),
      MONGODB_URI: env.mongodbUri,
      AMQP_URL: env.amqpUrl,
      ADMIN_API_KEY: ADMIN_KEY,
      TARGET_ALLOWLIST: '127.0.0.0/8',
      // The benchmark measures the pipeline, one app at full speed, not its quota.
      QUOTA_MESSAGES_PER_SECOND: '1000000',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the API to answer /health', 90_000, [api], async () => {
    const response = await fetch(`${url}/health`).catch(() => undefined);
    return response?.status === 200;
  });
  return { process: api, url };
}

export function startNotifier(
  name: string,
  env: PlatformEnv,
  extraEnv: Record<string, string>,
  nodeArgs: string[],
): BenchProcess {
  return spawnNode(name, NOTIFIER_MAIN, {
    logDir: env.logDir,
    nodeArgs,
    env: {
      MONGODB_URI: env.mongodbUri,
      AMQP_URL: env.amqpUrl,
      TARGET_ALLOWLIST: '127.0.0.0/8',
      QUOTA_MESSAGES_PER_SECOND: '1000000',
      ...extraEnv,
    },
  });
}

export function startNaive(env: PlatformEnv, endpoints: Record<string, string[]>): BenchProcess {
  return spawnNode('naive', NAIVE_MAIN, {
    logDir: env.logDir,
    args: [
      JSON.stringify({
        amqpUrl: env.amqpUrl,
        mongodbUri: env.mongodbUri,
        queue: NAIVE_QUEUE,
        endpoints,
      }),
    ],
  });
}

export async function waitForIntakeConsumers(
  probe: BrokerProbe,
  count: number,
  processes: BenchProcess[],
): Promise<void> {
  await probe.waitForConsumers(INTAKE_QUEUE, count, processes);
}

/** Calls the API like a client; throws on anything but the expected status. */
export async function callApi<T>(
  baseUrl: string,
  token: string,
  path: string,
  body: unknown,
  method: 'POST' | 'PUT' = 'POST',
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  // A PUT answers 200 when it replaced what was there.
  const ok = response.status === 201 || (method === 'PUT' && response.status === 200);
  if (!ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Polls `check` until true; fails early (with its last lines) when a watched process dies. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  processes: readonly BenchProcess[],
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => !p.alive && !p.stopping);
    if (dead !== undefined) {
      throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.lastLines()}`);
    }
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}

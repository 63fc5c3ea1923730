import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Which node: its Erlang node name, AMQP port and directory (mnesia, logs, config). */
export interface RabbitNode {
  node: string;
  port: number;
  dir: string;
}

/** The chaos suite's node, unless the environment names another. */
const CHAOS_NODE: RabbitNode = {
  node: process.env.CHAOS_RABBIT_NODE ?? 'chaos@localhost',
  port: Number(process.env.CHAOS_RABBIT_PORT ?? 5673),
  dir: process.env.CHAOS_RABBIT_DIR ?? '/tmp/chaos-rabbit',
};

/**
 * A RabbitMQ node of a suite's own, beside the shared one on 5672, so that stopping it
 * (`stop_app`) breaks nobody else's tests. Started with `rabbitmq-server -detached` when it is not
 * running yet, and stopped again at the end if this run started it. Suites that may run at the
 * same time as the chaos suite pass a node of their own.
 */
export class PrivateRabbit {
  private constructor(
    readonly vhost: string,
    private readonly startedHere: boolean,
    private readonly where: RabbitNode,
  ) {}

  static async start(
    log: (line: string) => void,
    where: RabbitNode = CHAOS_NODE,
    vhost = `chaos-${randomBytes(4).toString('hex')}`,
  ): Promise<PrivateRabbit> {
    const ctl = ctlOn(where);
    let startedHere = false;
    if (!(await reachable(where))) {
      log(`starting a private RabbitMQ node ${where.node} on port ${where.port}`);
      startedHere = true;
      await launch(where);
    }
    try {
      await ctl('await_startup', '--timeout', '120');
    } catch (error) {
      if (startedHere) await ctl('stop').catch(() => undefined);
      throw error;
    }
    await ctl('add_vhost', vhost);
    await ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    return new PrivateRabbit(vhost, startedHere, where);
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.where.port}/${this.vhost}`;
  }

  /** The broker goes away (every connection closes, nothing is accepted) ... */
  async stopApp(): Promise<void> {
    await this.ctl('stop_app');
  }

  /** ... and comes back with its durable queues and persistent messages. */
  async startApp(): Promise<void> {
    await this.ctl('start_app');
    await this.ctl('await_startup', '--timeout', '120');
  }

  async depth(queue: string): Promise<{ ready: number; unacked: number }> {
    const { stdout } = await this.ctl(
      'list_queues',
      '-p',
      this.vhost,
      'name',
      'messages_ready',
      'messages_unacknowledged',
    );
    const line = stdout.split('\n').find((l) => l.split(/\s+/)[0] === queue);
    const [, ready = '0', unacked = '0'] = line?.split(/\s+/) ?? [];
    return { ready: Number(ready), unacked: Number(unacked) };
  }

  /** Client connections open in this node's vhost. */
  async connectionCount(): Promise<number> {
    const { stdout } = await this.ctl('list_connections', 'vhost');
    return stdout.split('\n').filter((line) => line.trim() === this.vhost).length;
  }

  async close(): Promise<void> {
    await this.ctl('start_app').catch(() => undefined);
    await this.ctl('delete_vhost', this.vhost).catch(() => undefined);
    if (this.startedHere) await this.ctl('stop').catch(() => undefined);
  }

  private ctl(...args: string[]) {
    return ctlOn(this.where)(...args);
  }
}

export function reachable(where: RabbitNode): Promise<boolean> {
  return ctlOn(where)('ping').then(
    () => true,
    () => false,
  );
}

export function ctlOn(where: RabbitNode) {
  return (...args: string[]) => run('rabbitmqctl', ['-q', '-n', where.node, ...args]);
}

/** Starts the node and waits until it answers (not until RabbitMQ in it has started). */
export async function launch(where: RabbitNode): Promise<void> {
  const base = where.dir;
  await mkdir(join(base, 'mnesia'), { recursive: true });
  await mkdir(join(base, 'log'), { recursive: true });
  // The machine's rabbitmq.conf pins the shared node's listener; this node gets its own.
  await writeFile(join(base, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${where.port}\n`);
  // rabbitmq-server drops to the rabbitmq user when run as root: it must own its directories.
  await run('chown', ['-R', 'rabbitmq:rabbitmq', base]).catch(() => undefined);
  await run('rabbitmq-server', ['-detached'], {
    cwd: base,
    env: {
      ...process.env,
      RABBITMQ_NODENAME: where.node,
      RABBITMQ_NODE_PORT: String(where.port),
      RABBITMQ_DIST_PORT: String(where.port + 20_000),
      RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
      RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
      RABBITMQ_LOG_BASE: join(base, 'log'),
      RABBITMQ_PID_FILE: join(base, 'pid'),
    },
  });
  // -detached returns at once; the node registers with epmd a few seconds later.
  for (let waited = 0; !(await reachable(where)); waited += 500) {
    if (waited > 60_000) throw new Error(`${where.node} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A RabbitMQ node of the chaos suite's own, beside the shared one on 5672, so that stopping it
 * (`stop_app`) breaks nobody else's tests. Started with `rabbitmq-server -detached` when it is not
 * running yet, and stopped again at the end if this run started it.
 */
export class PrivateRabbit {
  static readonly NODE = process.env.CHAOS_RABBIT_NODE ?? 'chaos@localhost';
  static readonly PORT = Number(process.env.CHAOS_RABBIT_PORT ?? 5673);
  static readonly BASE = process.env.CHAOS_RABBIT_DIR ?? '/tmp/chaos-rabbit';

  private constructor(
    readonly vhost: string,
    private readonly startedHere: boolean,
  ) {}

  static async start(log: (line: string) => void): Promise<PrivateRabbit> {
    let startedHere = false;
    if (!(await reachable())) {
      log(`starting a private RabbitMQ node ${PrivateRabbit.NODE} on port ${PrivateRabbit.PORT}`);
      await launch();
      startedHere = true;
      // -detached returns at once; the node registers with epmd a few seconds later.
      for (let waited = 0; !(await reachable()); waited += 500) {
        if (waited > 60_000) throw new Error(`${PrivateRabbit.NODE} did not come up`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    try {
      await ctl('await_startup', '--timeout', '120');
    } catch (error) {
      if (startedHere) await ctl('stop').catch(() => undefined);
      throw error;
    }
    const vhost = `chaos-${randomBytes(4).toString('hex')}`;
    await ctl('add_vhost', vhost);
    await ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    return new PrivateRabbit(vhost, startedHere);
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${PrivateRabbit.PORT}/${this.vhost}`;
  }

  /** The broker goes away (every connection closes, nothing is accepted) ... */
  async stopApp(): Promise<void> {
    await ctl('stop_app');
  }

  /** ... and comes back with its durable queues and persistent messages. */
  async startApp(): Promise<void> {
    await ctl('start_app');
    await ctl('await_startup', '--timeout', '120');
  }

  async depth(queue: string): Promise<{ ready: number; unacked: number }> {
    const { stdout } = await ctl(
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

  async close(): Promise<void> {
    await ctl('start_app').catch(() => undefined);
    await ctl('delete_vhost', this.vhost).catch(() => undefined);
    if (this.startedHere) await ctl('stop').catch(() => undefined);
  }
}

function reachable(): Promise<boolean> {
  return ctl('ping').then(
    () => true,
    () => false,
  );
}

function ctl(...args: string[]) {
  return run('rabbitmqctl', ['-q', '-n', PrivateRabbit.NODE, ...args]);
}

async function launch(): Promise<void> {
  const base = PrivateRabbit.BASE;
  await mkdir(join(base, 'mnesia'), { recursive: true });
  await mkdir(join(base, 'log'), { recursive: true });
  // The machine's rabbitmq.conf pins the shared node's listener; this node gets its own.
  await writeFile(
    join(base, 'rabbitmq.conf'),
    `listeners.tcp.local = 127.0.0.1:${PrivateRabbit.PORT}\n`,
  );
  // rabbitmq-server drops to the rabbitmq user when run as root: it must own its directories.
  await run('chown', ['-R', 'rabbitmq:rabbitmq', base]).catch(() => undefined);
  await run('rabbitmq-server', ['-detached'], {
    cwd: base,
    env: {
      ...process.env,
      RABBITMQ_NODENAME: PrivateRabbit.NODE,
      RABBITMQ_NODE_PORT: String(PrivateRabbit.PORT),
      RABBITMQ_DIST_PORT: String(PrivateRabbit.PORT + 20_000),
      RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
      RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
      RABBITMQ_LOG_BASE: join(base, 'log'),
      RABBITMQ_PID_FILE: join(base, 'pid'),
    },
  });
}

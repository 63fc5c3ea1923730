import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const POLL_MS = 500;
const REGISTER_TIMEOUT_MS = 60_000;

/**
 * One `rabbitmq-server` node of the chaos suite's own: its node name, AMQP port and data folder,
 * beside the machine's shared node on 5672. Driven through `rabbitmqctl -n <node>`.
 */
export class RabbitNode {
  constructor(
    readonly node: string,
    readonly port: number,
    readonly base: string,
  ) {}

  /** `rabbitmq-server -detached` returns at once; the node is there once it answers a ping. */
  async launch(): Promise<void> {
    await mkdir(join(this.base, 'mnesia'), { recursive: true });
    await mkdir(join(this.base, 'log'), { recursive: true });
    // The machine's rabbitmq.conf pins the shared node's listener; this node gets its own.
    await writeFile(
      join(this.base, 'rabbitmq.conf'),
      `listeners.tcp.local = 127.0.0.1:${this.port}\n`,
    );
    // rabbitmq-server drops to the rabbitmq user when run as root: it must own its directories.
    await run('chown', ['-R', 'rabbitmq:rabbitmq', this.base]).catch(() => undefined);
    await run('rabbitmq-server', ['-detached'], {
      cwd: this.base,
      env: {
        ...process.env,
        RABBITMQ_NODENAME: this.node,
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(this.port + 20_000),
        RABBITMQ_CONFIG_FILE: join(this.base, 'rabbitmq.conf'),
        RABBITMQ_MNESIA_BASE: join(this.base, 'mnesia'),
        RABBITMQ_LOG_BASE: join(this.base, 'log'),
        RABBITMQ_PID_FILE: join(this.base, 'pid'),
        // Several nodes share two cores with everything else: one scheduler each is plenty.
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '+S 1:1',
      },
    });
    for (let waited = 0; !(await this.reachable()); waited += POLL_MS) {
      if (waited > REGISTER_TIMEOUT_MS) throw new Error(`${this.node} did not come up`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  reachable(): Promise<boolean> {
    return this.ctl('ping').then(
      () => true,
      () => false,
    );
  }

  async awaitStartup(): Promise<void> {
    await this.ctl('await_startup', '--timeout', '120');
  }

  /** The whole node exits (not only the RabbitMQ application): as a machine going away. */
  async stop(): Promise<void> {
    await this.ctl('stop');
  }

  ctl(...args: string[]): Promise<{ stdout: string }> {
    return run('rabbitmqctl', ['-q', '-n', this.node, ...args]);
  }
}

import { randomBytes } from 'node:crypto';
import { RabbitNode } from './rabbit-node';
/**
 * A RabbitMQ node of the chaos suite's own, beside the shared one on 5672, so that stopping it
 * (`stop_app`) breaks nobody else's tests. Started with `rabbitmq-server -detached` when it is not
 * running yet, and stopped again at the end if this run started it.
 */
export class PrivateRabbit {
  static readonly NODE = process.env.CHAOS_RABBIT_NODE ?? 'chaos@localhost';
  static readonly PORT = Number(process.env.CHAOS_RABBIT_PORT ?? 5673);
  static readonly BASE = process.env.CHAOS_RABBIT_DIR ?? '/tmp/chaos-rabbit';
  static readonly node = new RabbitNode(PrivateRabbit.NODE, PrivateRabbit.PORT, PrivateRabbit.BASE);

  private constructor(
    readonly vhost: string,
    private readonly startedHere: boolean,
  ) {}

  static async start(log: (line: string) => void): Promise<PrivateRabbit> {
    let startedHere = false;
    if (!(await PrivateRabbit.node.reachable())) {
      log(`starting a private RabbitMQ node ${PrivateRabbit.NODE} on port ${PrivateRabbit.PORT}`);
      startedHere = true;
      await PrivateRabbit.node.launch();
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

function ctl(...args: string[]) {
  return PrivateRabbit.node.ctl(...args);
}

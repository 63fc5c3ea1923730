import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { parseBrokerUrls } from '@app/contracts';

const run = promisify(execFile);

export interface Vhost {
  name: string;
  url: string;
  /** Closes every client connection in this vhost, as a broker restart would. */
  dropConnections(): Promise<number>;
  /** How many channels are open in this vhost, as the broker lists them. */
  openChannels(): Promise<number>;
  remove(): Promise<void>;
}

/**
 * Each suite gets its own RabbitMQ vhost, so suites (and a platform a developer runs beside them)
 * never consume each other's intake queue. Needs rabbitmqctl on this machine, as CI has.
 */
export async function createVhost(
  baseUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  name = `notify-test-${randomBytes(4).toString('hex')}`,
): Promise<Vhost> {
  // AMQP_URL may list a cluster's nodes: the vhost is the cluster's, reached through the first.
  const url = new URL(parseBrokerUrls(baseUrl)[0]!);
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', [
    '-q',
    'set_permissions',
    '-p',
    name,
    decodeURIComponent(url.username),
    '.*',
    '.*',
    '.*',
  ]);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: url.toString(),
    dropConnections: async () => {
      // list_connections takes no vhost (-p is ignored): list them all and keep this vhost's, or
      // every suite (and a benchmark) running beside this one loses its connections too.
      const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'vhost', 'pid']);
      const pids = stdout
        .split('\n')
        .map((line) => line.trim().split('\t'))
        .filter(([vhost, pid]) => vhost === name && pid?.startsWith('<'))
        .map(([, pid]) => pid!);
      for (const pid of pids) {
        await run('rabbitmqctl', ['-q', 'close_connection', pid, 'test: simulated broker restart']);
      }
      return pids.length;
    },
    openChannels: async () => {
      // list_channels takes no vhost either.
      const { stdout } = await run('rabbitmqctl', ['-q', 'list_channels', 'vhost']);
      return stdout.split('\n').filter((line) => line.trim() === name).length;
    },
    remove: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]).catch(() => undefined);
    },
  };
}

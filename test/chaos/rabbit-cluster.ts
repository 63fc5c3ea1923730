import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ctlOn, launch, reachable, type RabbitNode } from './private-rabbit';

const BASE_PORT = Number(process.env.CHAOS_CLUSTER_RABBIT_PORT ?? 5681);
const BASE_DIR = process.env.CHAOS_CLUSTER_RABBIT_DIR ?? '/tmp/chaos-rabbit-cluster';
const VHOST = 'chaos';

/**
 * A RabbitMQ cluster of the chaos suite's own: `size` nodes `chaos-cluster-<n>@localhost` on
 * ports BASE_PORT + n, each with its data folder under BASE_DIR, joined to the first with
 * `rabbitmqctl join_cluster`. A quorum queue declared once they are joined (as the platform's
 * intake queue is, on connect) gets a replica on every node. Nodes left running by an earlier
 * run that was killed are stopped and their data removed first; `close()` stops every node.
 */
export class RabbitCluster {
  private constructor(readonly nodes: readonly RabbitNode[]) {}

  static async start(size: number, log: (line: string) => void): Promise<RabbitCluster> {
    const nodes = Array.from({ length: size }, (_, n): RabbitNode => ({
      node: `chaos-cluster-${n + 1}@localhost`,
      port: BASE_PORT + n,
      dir: join(BASE_DIR, `node-${n + 1}`),
    }));
    const cluster = new RabbitCluster(nodes);
    await cluster.close();
    log(`starting a ${size}-node RabbitMQ cluster on ports ${nodes.map((n) => n.port).join(', ')}`);
    try {
      await Promise.all(nodes.map((node) => launch(node)));
      await Promise.all(nodes.map((node) => awaitStartup(node)));
      const [first, ...others] = nodes;
      for (const node of others) {
        const ctl = ctlOn(node);
        await ctl('stop_app');
        await ctl('join_cluster', first!.node);
        await ctl('start_app');
        await awaitStartup(node);
      }
      await ctlOn(first!)('add_vhost', VHOST);
      await ctlOn(first!)('set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*');
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** One URL per node, in node order: what AMQP_URL lists. */
  get urls(): string[] {
    return this.nodes.map((node) => `amqp://guest:guest@127.0.0.1:${node.port}/${VHOST}`);
  }

  /** The quorum queue's leader (index into `nodes`) and the nodes holding a replica. */
  async quorum(queue: string): Promise<{ leader: number; members: number[] }> {
    for (const node of this.nodes) {
      const listed = await ctlOn(node)(
        'list_queues',
        '-p',
        VHOST,
        '--no-table-headers',
        'name',
        'leader',
        'members',
      ).catch(() => undefined);
      const line = listed?.stdout.split('\n').find((l) => l.split(/\s+/)[0] === queue);
      if (line === undefined) continue;
      const indexOf = (name: string) => this.nodes.findIndex((n) => n.node === name);
      const [, leader = '', ...members] = line.replace(/[[\]",]/g, ' ').split(/\s+/);
      return {
        leader: indexOf(leader),
        members: members.filter((m) => m !== '').map(indexOf),
      };
    }
    throw new Error(`no node lists the queue ${queue}`);
  }

  /**
   * When the surviving nodes saw a new leader of `queue` after `since` (from their logs; Ra writes
   * "detected a new leader" or "candidate -> leader" on each election): what the broker did,
   * beside what the platform did, when a fault run's publishes are refused.
   */
  async leaderChanges(queue: string, since: number): Promise<{ node: number; at: number }[]> {
    const changes: { node: number; at: number }[] = [];
    for (const [index, node] of this.nodes.entries()) {
      const text = await readFile(logFile(node), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (!line.includes(`queue '${queue}'`)) continue;
        if (!/detected a new leader|candidate -> leader/.test(line)) continue;
        const at = Date.parse(line.slice(0, 32).replace(' ', 'T'));
        if (at >= since) changes.push({ node: index, at });
      }
    }
    return changes.sort((a, b) => a.at - b.at);
  }

  /** Copies each node's log into `dir` (as rabbit-<node>.log), for a failed run's post-mortem. */
  async keepLogs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const node of this.nodes) {
      await copyFile(logFile(node), join(dir, `rabbit-${node.node}.log`)).catch(() => undefined);
    }
  }

  /** The whole node exits (not only the RabbitMQ application): as a machine going away. */
  async stopNode(index: number): Promise<void> {
    await ctlOn(this.nodes[index]!)('stop');
  }

  /** Starts a stopped node again on its data: it rejoins the cluster and its replicas catch up. */
  async restartNode(index: number): Promise<void> {
    const node = this.nodes[index]!;
    await launch(node);
    await awaitStartup(node);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        if (await reachable(node)) await ctlOn(node)('stop').catch(() => undefined);
      }),
    );
    await rm(BASE_DIR, { recursive: true, force: true });
  }
}

function logFile(node: RabbitNode): string {
  return join(node.dir, 'log', `${node.node}.log`);
}

async function awaitStartup(node: RabbitNode): Promise<void> {
  await ctlOn(node)('await_startup', '--timeout', '120');
}

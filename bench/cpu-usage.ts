import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/**
 * CPU time per delivery, ms, by who spent it: the pipeline measured, MongoDB, RabbitMQ and the
 * bench itself. On a machine every process shares, it says what a delivery costs where
 * deliveries per second only say how the machine was shared at that moment. `undefined`: no such
 * process here (MONGODB_URI or AMQP_URL pointing elsewhere).
 */
export interface CpuPerDelivery {
  /** The measured processes: the notifier(s), or the naive pipeline. */
  pipeline: number;
  /** mongod, with wineserver where mongod runs under wine (ADR 0003). */
  mongodb: number | undefined;
  /** The broker's Erlang VM. */
  rabbitmq: number | undefined;
  /** This process: the publisher, the webhook sink and the progress polls. */
  bench: number;
}

/** Local processes counted as MongoDB's and RabbitMQ's, by the name of their executable. */
const SERVICES = {
  mongodb: /^(mongod(\.exe)?|wineserver(64)?)$/,
  rabbitmq: /^beam\.smp$/,
} as const;
type Service = keyof typeof SERVICES;

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const TICKS_PER_SECOND = Number(
  execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100,
);

/** CPU time each process has used since it started, ms, by pid. */
type Usage = Map<number, number>;

interface Snapshot {
  pipeline: Usage;
  services: Record<Service, Usage>;
  bench: number;
}

/** Counts the CPU time spent from `start` on by the pipeline's processes and the services. */
export class CpuMeter {
  private constructor(
    private readonly pipelinePids: readonly number[],
    private readonly from: Snapshot,
  ) {}

  static async start(pipelinePids: readonly number[]): Promise<CpuMeter> {
    return new CpuMeter(pipelinePids, await snapshot(pipelinePids));
  }

  /** What was spent since `start`, divided among `deliveries`. */
  async perDelivery(deliveries: number): Promise<CpuPerDelivery> {
    const to = await snapshot(this.pipelinePids);
    const per = (ms: number) => ms / Math.max(1, deliveries);
    const service = (name: Service) =>
      to.services[name].size === 0
        ? undefined
        : per(spent(this.from.services[name], to.services[name]));
    return {
      pipeline: per(spent(this.from.pipeline, to.pipeline)),
      mongodb: service('mongodb'),
      rabbitmq: service('rabbitmq'),
      bench: per(to.bench - this.from.bench),
    };
  }
}

/** One cell: the total, then each part in CpuPerDelivery's order. */
export function cpuCell(cpu: CpuPerDelivery): string {
  const parts = [cpu.pipeline, cpu.mongodb, cpu.rabbitmq, cpu.bench];
  const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2));
  return `${ms(cpuTotal(cpu))} = ${parts.map(ms).join(' + ')}`;
}

export function cpuTotal(cpu: CpuPerDelivery): number {
  return cpu.pipeline + (cpu.mongodb ?? 0) + (cpu.rabbitmq ?? 0) + cpu.bench;
}

/** A process started in between counts from zero; one that ended in between is lost. */
function spent(from: Usage, to: Usage): number {
  let total = 0;
  for (const [pid, ms] of to) total += ms - (from.get(pid) ?? 0);
  return total;
}

async function snapshot(pipelinePids: readonly number[]): Promise<Snapshot> {
  const services: Record<Service, Usage> = { mongodb: new Map(), rabbitmq: new Map() };
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  await Promise.all(
    pids.map(async (pid) => {
      const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      const executable = basename(commandLine.split('\0')[0]!.replaceAll('\\', '/'));
      for (const [name, pattern] of Object.entries(SERVICES) as [Service, RegExp][]) {
        if (!pattern.test(executable)) continue;
        const ms = await cpuMs(pid);
        if (ms !== undefined) services[name].set(pid, ms);
      }
    }),
  );
  const pipeline: Usage = new Map();
  for (const pid of pipelinePids) {
    const ms = await cpuMs(pid);
    if (ms !== undefined) pipeline.set(pid, ms);
  }
  const own = process.cpuUsage();
  return { pipeline, services, bench: (own.user + own.system) / 1000 };
}

/** utime + stime of /proc/<pid>/stat (all its threads), ms; undefined if it is gone. */
async function cpuMs(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name, in parentheses, may hold spaces: the fields are counted after it.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields === undefined || fields.length < 13) return undefined;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

import { loadavg } from 'node:os';
import type { RecordableHistogram } from 'node:perf_hooks';
import type { mongo } from 'mongoose';
import { INTAKE_QUEUE } from '@app/contracts';
import { CpuMeter, type CpuPerDelivery } from './cpu-usage';
import { LoopDelay, pooledDelay } from './loop-delay';
import type { BenchProcess } from './processes';
import type { Batch, Publisher } from './publisher';
import { formatNumber } from './report';
import { NAIVE_QUEUE, waitFor, type BrokerProbe } from './setup';
import { preciseNow, type PhaseResult, type WebhookSink } from './webhook-sink';

export const log = (line: string) => process.stdout.write(`${line}\n`);
/** The 1-minute load average, noted beside every figure: other work shares this machine. */
export const load = () => loadavg()[0]!.toFixed(2);
const mb = (kb: number) => kb / 1024;

export interface Context {
  sink: WebhookSink;
  publisher: Publisher;
  probe: BrokerProbe;
  db: mongo.Db;
  processes: BenchProcess[];
}

export interface DeliveryRun {
  result: PhaseResult;
  expected: number;
  /** First publish (or release) to last arrival. */
  seconds: number;
  perSecond: number;
  complete: boolean;
  /** Highest RSS of the measured processes during the run. */
  rssMb: number;
  load: string;
  /** From the first publish until both pipelines were idle again (settledWithCpu). */
  cpu?: CpuPerDelivery;
  /** How late the bench's event loop ran from the first publish to the last arrival (LoopDelay). */
  loopDelay?: RecordableHistogram;
}

const isNotifier = (p: BenchProcess) => p.name.startsWith('notifier');

/**
 * Publishes (a burst, or paced), waits until the sink has seen every expected delivery and then
 * until both pipelines are idle (settle), so that the CPU counted includes what a delivery costs
 * after its attempt (outcome writes), and the next measure starts on an idle machine.
 */
export async function deliveryRun(
  ctx: Context,
  label: string,
  batch: Batch,
  messages: number,
  expected: number,
  pace?: { rate: number; durationMs: number },
  measured: (p: BenchProcess) => boolean = isNotifier,
): Promise<DeliveryRun> {
  for (const p of ctx.processes) p.resetPeak();
  const meter = await startMeter(ctx, measured);
  let published = 0;
  const loopDelay = LoopDelay.start();
  const startedAt = preciseNow();
  const publishing =
    pace === undefined
      ? ctx.publisher.burst(batch, messages, (sent) => (published = sent))
      : ctx.publisher.paced(batch, pace.rate, pace.durationMs);
  const done = publishing.then(() => (published = messages));
  const run = await untilDelivered(ctx, label, batch.phase, expected, startedAt, measured, () =>
    published === messages ? '' : `published ${published}/${messages}, `,
  );
  await done;
  return settledWithCpu(ctx, meter, { ...run, loopDelay: loopDelay.stop() });
}

/**
 * One pipeline's runs, taken in turns with another's, as one run: deliveries, latencies and time
 * added up, the CPU time a delivery over all of them, the highest RSS, the last load.
 */
export function pooled(runs: readonly DeliveryRun[]): DeliveryRun {
  const total = (of: (run: DeliveryRun) => number) => runs.reduce((sum, run) => sum + of(run), 0);
  const results = runs.map((run) => run.result);
  const latencies = new Float64Array(total((run) => run.result.latencies.length));
  let offset = 0;
  for (const { latencies: some } of results) {
    latencies.set(some, offset);
    offset += some.length;
  }
  const distinct = total((run) => run.result.distinct);
  const seconds = total((run) => run.seconds);
  return {
    result: {
      requests: total((run) => run.result.requests),
      distinct,
      duplicates: total((run) => run.result.duplicates),
      firstAt: Math.min(...results.map((result) => result.firstAt)),
      lastAt: Math.max(...results.map((result) => result.lastAt)),
      latencies,
    },
    expected: total((run) => run.expected),
    seconds,
    perSecond: distinct / seconds,
    complete: runs.every((run) => run.complete),
    rssMb: Math.max(...runs.map((run) => run.rssMb)),
    load: runs[runs.length - 1]!.load,
    ...(runs.every((run) => run.cpu !== undefined) ? { cpu: pooledCpu(runs) } : {}),
    ...(runs.every((run) => run.loopDelay !== undefined)
      ? { loopDelay: pooledDelay(runs.map((run) => run.loopDelay!)) }
      : {}),
  };
}

/** The CPU time a delivery over several runs: each run's weighted by its deliveries. */
function pooledCpu(runs: readonly DeliveryRun[]): CpuPerDelivery {
  // What perDelivery divided each run's time by.
  const deliveries = runs.map((run) => Math.max(1, run.result.distinct));
  const all = deliveries.reduce((sum, n) => sum + n, 0);
  const part = (of: (cpu: CpuPerDelivery) => number | undefined) => {
    let spent = 0;
    for (const [index, run] of runs.entries()) {
      const value = of(run.cpu!);
      if (value === undefined) return undefined;
      spent += value * deliveries[index]!;
    }
    return spent / all;
  };
  return {
    pipeline: part((cpu) => cpu.pipeline)!,
    mongodb: part((cpu) => cpu.mongodb),
    rabbitmq: part((cpu) => cpu.rabbitmq),
    bench: part((cpu) => cpu.bench)!,
  };
}

/** Waits until both pipelines are idle, then adds the CPU time per delivery `meter` counted. */
export async function settledWithCpu(
  ctx: Context,
  meter: CpuMeter,
  run: DeliveryRun,
): Promise<DeliveryRun> {
  await settle(ctx);
  return { ...run, cpu: await meter.perDelivery(run.result.distinct) };
}

/** A CpuMeter of the measured processes, started now. */
export function startMeter(
  ctx: Context,
  measured: (p: BenchProcess) => boolean = isNotifier,
): Promise<CpuMeter> {
  return CpuMeter.start(ctx.processes.filter(measured).map((p) => p.pid));
}

/**
 * Waits until the sink has seen `expected` distinct deliveries of the phase (or a timeout that
 * grows with the count), printing progress, then takes the phase's figures.
 */
export async function untilDelivered(
  ctx: Context,
  label: string,
  phase: string,
  expected: number,
  startedAt: number,
  measured: (p: BenchProcess) => boolean = isNotifier,
  publishing: () => string = () => '',
): Promise<DeliveryRun> {
  const timeoutMs = 60_000 + expected * 2;
  let lastPrint = 0;
  let complete = false;
  for (;;) {
    const progress = await ctx.sink.progress(phase);
    const elapsed = (preciseNow() - startedAt) / 1000;
    if (progress.distinct >= expected) {
      complete = true;
      break;
    }
    if (elapsed * 1000 > timeoutMs) break;
    if (elapsed - lastPrint >= 2) {
      lastPrint = elapsed;
      log(
        `  ${label}: ${elapsed.toFixed(0)} s, ${publishing()}delivered ${progress.distinct}/${expected} ` +
          `(${formatNumber(progress.distinct / elapsed)}/s), load ${load()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // late duplicates, if any
  const result = await ctx.sink.take(phase);
  const seconds = (result.lastAt - startedAt) / 1000;
  const rssMb = Math.max(0, ...ctx.processes.filter(measured).map((p) => mb(p.phasePeakKb)));
  const run = {
    result,
    expected,
    seconds,
    perSecond: result.distinct / seconds,
    complete,
    rssMb,
    load: load(),
  };
  log(
    `  ${label}: ${complete ? 'done' : 'INCOMPLETE'} ${result.distinct}/${expected} in ${seconds.toFixed(1)} s` +
      ` = ${formatNumber(run.perSecond)}/s, duplicates ${result.duplicates}, peak RSS ${rssMb.toFixed(0)} MB, load ${run.load}`,
  );
  return run;
}

/** Waits until both pipelines are idle: queues empty and no delivery pending. */
export async function settle(ctx: Context): Promise<void> {
  await waitFor('the pipelines to go idle', 60_000, ctx.processes, async () => {
    const [intake, naive, pending] = await Promise.all([
      ctx.probe.queue(INTAKE_QUEUE),
      ctx.probe.queue(NAIVE_QUEUE),
      ctx.db.collection('deliveries').countDocuments({ status: 'pending' }),
    ]);
    return intake.messages === 0 && naive.messages === 0 && pending === 0;
  }).catch((error: unknown) => log(`  (not idle: ${String(error)})`));
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function latencyCell(run: DeliveryRun): string {
  const sorted = run.result.latencies.slice().sort();
  const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)}`;
  return (
    `p50 ${ms(percentile(sorted, 50))} / p99 ${ms(percentile(sorted, 99))} / max ` +
    `${ms(sorted[sorted.length - 1] ?? Number.NaN)} ms${run.complete ? '' : ' (incomplete)'}`
  );
}

export function rateCell(run: DeliveryRun): string {
  const incomplete = ` (incomplete: ${run.result.distinct}/${run.expected})`;
  return `${formatNumber(run.perSecond)}/s${run.complete ? '' : incomplete}`;
}

export function ratioCell(platform: DeliveryRun, naive: DeliveryRun): string {
  return `${(platform.perSecond / naive.perSecond).toFixed(2)}x`;
}

import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { summarizeProfiles } from './cpu-profile';
import { load, log } from './measure';
import { FULL, parseOptions, QUICK, type Measure } from './options';
import { isolation } from './isolation-phase';
import {
  latency,
  orderedThroughput,
  retryDrain,
  scaleOut,
  slowRecipientScaleOut,
  throughput,
  warmUp,
} from './phases';
import { toMarkdown, type Report, type Row } from './report';
import { startStack, type Stack } from './stack';
import { schemaCost } from './schema-phase';
import { tracingCost } from './tracing-phase';

/**
 * `npm run bench [-- --quick] [--write] [--profile] [--env KEY=VALUE]...`: starts MongoDB (unless
 * MONGODB_URI is set), a RabbitMQ vhost of its own, a notifier, the API and the naive pipeline as
 * separate processes, and a webhook sink; measures; prints a table, and with --write puts it in
 * bench/results.md. `npm run bench -- --help` lists the flags.
 */
async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const sizes = options.quick ? QUICK : FULL;
  const startedAt = Date.now();
  // Read now, when the code under test was just compiled: the tree may change while it runs.
  const commit = gitHead();
  log(`notify-platform benchmark (${options.quick ? 'quick' : 'full'}), load ${load()}`);
  const stack = await startStack(options);
  log(`  logs in ${stack.logDir}`);
  const wanted = (measure: Measure) => options.only.size === 0 || options.only.has(measure);
  try {
    await warmUp(stack);
    const rows: Row[] = [];
    const measured = wanted('throughput') ? await throughput(stack, sizes) : undefined;
    if (measured !== undefined) rows.push(...measured.rows);
    if (wanted('latency')) rows.push(...(await latency(stack, sizes)));
    if (wanted('retries')) rows.push(await retryDrain(stack, sizes));
    if (wanted('isolation')) rows.push(...(await isolation(stack, sizes)));
    if (measured !== undefined && wanted('scale-out')) {
      rows.push(await scaleOut(stack, sizes, measured.single));
    }
    if (wanted('scale-out')) {
      rows.push(await slowRecipientScaleOut(stack, sizes, options.notifierEnv));
    }
    if (wanted('tracing')) rows.push(await tracingCost(stack, sizes, stack.notifierEnv));
    if (wanted('schemas')) rows.push(await schemaCost(stack, sizes));
    if (wanted('ordered')) rows.push(await orderedThroughput(stack, sizes));
    log('stopping the processes');
    await Promise.all(stack.ctx.processes.map((p) => p.stop()));
    const markdown = toMarkdown(report(stack, rows, startedAt, commit));
    log(`\n${markdown}`);
    if (options.write) {
      // Formatted as the repository's Prettier settings want it, so `npm run lint` stays clean.
      const file = join(__dirname, '../../bench/results.md');
      const formatted = await format(markdown, {
        ...(await resolveConfig(file)),
        filepath: file,
      });
      await writeFile(file, formatted);
      log('written to bench/results.md');
    }
    if (options.profile) await printProfiles(stack.profileDir);
  } finally {
    await stack.stop();
  }
}

function report(stack: Stack, rows: Row[], startedAt: number, commit: string): Report {
  const args = process.argv.slice(2);
  const notifierEnv = Object.entries(stack.notifierEnv)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  return {
    title: 'notify-platform benchmark',
    meta: [
      ['command', `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`],
      ['date', new Date().toISOString()],
      ['commit', commit],
      [
        'machine',
        `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
      ],
      ['MongoDB', `${stack.mongoDescription}; 7.0.15 under wine here, slower than native`],
      ['RabbitMQ', "local broker, a vhost of the run's own; quorum queues on both sides"],
      [
        'notifiers',
        notifierEnv === ''
          ? 'the default configuration (ENDPOINT_CONCURRENCY 100, as many attempts in flight to one endpoint as the naive pipeline has with prefetch 100), but where a row says otherwise'
          : `${notifierEnv}, everything else at its default`,
      ],
      ['wall time', `${((Date.now() - startedAt) / 1000).toFixed(0)} s`],
    ],
    rows,
    processes: stack.ctx.processes.map((p) => ({
      name: p.name,
      peakMb: p.hwmKb / 1024,
      note:
        p.name === 'naive'
          ? 'the comparison'
          : p.name === 'api'
            ? 'idle: producers publish over AMQP'
            : '',
    })),
    notes: [
      "Throughput: deliveries received at the sink / (last arrival - first publish). Latency: the publish time in the payload to the first arrival at the sink, each rate's time in five turns, the two pipelines' alternating.",
      'The naive pipeline: amqplib consume (prefetch 100) -> insertOne -> axios POST per endpoint -> updateOne -> ack.',
      'Everything (MongoDB, RabbitMQ, both pipelines, the sink and the publisher) shares the machine; the load column is the 1-minute load average when each measure ended (platform / naive).',
      "CPU time per delivery: what the pipeline's own processes, MongoDB (mongod, and wineserver where it runs under wine), RabbitMQ and the bench (publisher and sink) spent from the first publish until both pipelines were idle again, divided by the deliveries; each cell is the total = pipeline + MongoDB + RabbitMQ + bench. It depends less on what else the machine was doing than the rates do: on a saturated machine a pipeline's rate follows its cost.",
      "The bench's event loop: how late a 2 ms timer in the bench's process ran, from each latency turn's first publish to its last arrival, pooled by pipeline. The sink stamps arrivals in that process, so a delay there (the machine's cores busy elsewhere) adds to every latency it meets: where its p99 is near the latencies' p99, the tail measured the machine as much as the pipeline.",
    ],
  };
}

async function printProfiles(dir: string): Promise<void> {
  const percent = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  for (const summary of await summarizeProfiles(dir)) {
    log(
      `\nCPU profile ${join(dir, summary.file)} (${(summary.totalMs / 1000).toFixed(1)} s sampled)`,
    );
    for (const line of summary.packages) log(`  ${percent(line.share)}  ${line.name}`);
    log('  top functions (self time):');
    for (const line of summary.functions) log(`  ${percent(line.share)}  ${line.name}`);
  }
}

function gitHead(): string {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`benchmark failed: ${text}\n`);
    process.exit(1);
  },
);

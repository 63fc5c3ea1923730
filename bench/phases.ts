import { INTAKE_QUEUE } from '@app/contracts';
import {
  deliveryRun,
  latencyCell,
  log,
  pooled,
  rateCell,
  ratioCell,
  settledWithCpu,
  startMeter,
  untilDelivered,
  type DeliveryRun,
} from './measure';
import { delayCell } from './loop-delay';
import type { Sizes } from './options';
import type { BenchProcess } from './processes';
import { formatNumber, type Row } from './report';
import { releaseHeldRetries, seedHeldRetries } from './seed-due';
import type { Stack } from './stack';
import { preciseNow, SLOW_RESPONSE_MS } from './webhook-sink';

const isNaive = (p: BenchProcess) => p.name === 'naive';
const rss = (platform: DeliveryRun, naive?: DeliveryRun) =>
  naive === undefined
    ? platform.rssMb.toFixed(0)
    : `${platform.rssMb.toFixed(0)} / ${naive.rssMb.toFixed(0)}`;
const loads = (platform: DeliveryRun, naive?: DeliveryRun) =>
  naive === undefined ? platform.load : `${platform.load} / ${naive.load}`;
const cpu = (platform: DeliveryRun, naive?: DeliveryRun) =>
  platform.cpu === undefined ? undefined : { platform: platform.cpu, naive: naive?.cpu };

/** JIT, connection pools and agents warm on both sides before anything is measured. */
export async function warmUp(stack: Stack): Promise<void> {
  log('warming up (500 messages each)');
  await deliveryRun(stack.ctx, 'warm-up', stack.ours('bench.single', 'warmup'), 500, 500);
  await deliveryRun(
    stack.ctx,
    'warm-up naive',
    stack.theirs('bench.single', 'warmup-naive'),
    500,
    500,
  );
}

/** A burst to one endpoint and to ten, through the platform and through the naive pipeline. */
export async function throughput(
  stack: Stack,
  sizes: Sizes,
): Promise<{ rows: Row[]; single: DeliveryRun }> {
  const { ctx } = stack;
  log(`throughput, ${sizes.single} messages to one endpoint`);
  const single = await deliveryRun(
    ctx,
    'platform',
    stack.ours('bench.single', 'single'),
    sizes.single,
    sizes.single,
  );
  const naiveSingle = await deliveryRun(
    ctx,
    'naive',
    stack.theirs('bench.single', 'naive-single'),
    sizes.single,
    sizes.single,
    undefined,
    isNaive,
  );

  log(`throughput, ${sizes.fanout} messages to 10 endpoints (fan-out)`);
  const fan = await deliveryRun(
    ctx,
    'platform',
    stack.ours('bench.fanout', 'fanout'),
    sizes.fanout,
    sizes.fanout * 10,
  );
  const naiveFan = await deliveryRun(
    ctx,
    'naive',
    stack.theirs('bench.fanout', 'naive-fanout'),
    sizes.naiveFanout,
    sizes.naiveFanout * 10,
    undefined,
    isNaive,
  );
  const rows = [
    {
      measure: `throughput, ${formatNumber(sizes.single)} messages -> 1 endpoint (deliveries/s)`,
      platform: rateCell(single),
      naive: rateCell(naiveSingle),
      ratio: ratioCell(single, naiveSingle),
      rss: rss(single, naiveSingle),
      load: loads(single, naiveSingle),
      cpu: cpu(single, naiveSingle),
    },
    {
      measure:
        `throughput, fan-out to 10 endpoints (deliveries/s): platform ${formatNumber(sizes.fanout)} messages` +
        ` = ${formatNumber(sizes.fanout * 10)} deliveries, naive ${formatNumber(sizes.naiveFanout)} messages`,
      platform: rateCell(fan),
      naive: rateCell(naiveFan),
      ratio: ratioCell(fan, naiveFan),
      rss: rss(fan, naiveFan),
      load: loads(fan, naiveFan),
      cpu: cpu(fan, naiveFan),
    },
  ];
  return { rows, single };
}

/**
 * Each latency rate's time in turns, the platform's and the naive pipeline's slices alternating
 * (and which goes first), so that both meet the same machine: run one after the other, 15 s
 * apart, the two met a shared machine's load at different moments (on a slow 2-core machine the
 * naive pipeline's p50 at 200 msg/s went from 11 to 71 ms between runs minutes apart).
 */
const LATENCY_TURNS = 5;

/** Publish -> first attempt at a steady rate: every payload carries its publish time. */
export async function latency(stack: Stack, sizes: Sizes): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [rate, durationMs] of [
    [200, sizes.lat200Ms],
    [1000, sizes.lat1000Ms],
  ] as const) {
    log(
      `latency, publish -> first attempt at ${rate} msg/s for ${durationMs / 1000} s, ` +
        `in ${LATENCY_TURNS} turns with the naive pipeline`,
    );
    const pace = { rate, durationMs: durationMs / LATENCY_TURNS };
    const count = Math.round((rate * pace.durationMs) / 1000);
    const ours: DeliveryRun[] = [];
    const theirs: DeliveryRun[] = [];
    for (let turn = 1; turn <= LATENCY_TURNS; turn++) {
      const platformTurn = async () =>
        ours.push(
          await deliveryRun(
            stack.ctx,
            `${rate}/s, turn ${turn}`,
            stack.ours('bench.single', `lat${rate}-${turn}`),
            count,
            count,
            pace,
          ),
        );
      const naiveTurn = async () =>
        theirs.push(
          await deliveryRun(
            stack.ctx,
            `naive ${rate}/s, turn ${turn}`,
            stack.theirs('bench.single', `naive-lat${rate}-${turn}`),
            count,
            count,
            pace,
            isNaive,
          ),
        );
      const [first, second] =
        turn % 2 === 1 ? [platformTurn, naiveTurn] : [naiveTurn, platformTurn];
      await first();
      await second();
    }
    const run = pooled(ours);
    const naive = pooled(theirs);
    rows.push({
      measure: `latency publish -> first attempt at ${rate} msg/s (${formatNumber(run.expected)} messages)`,
      platform: latencyCell(run),
      naive: latencyCell(naive),
      ratio: '',
      rss: rss(run, naive),
      load: loads(run, naive),
      cpu: cpu(run, naive),
      loopDelay: { platform: delayCell(run.loopDelay!), naive: delayCell(naive.loopDelay!) },
    });
  }
  return rows;
}

/** Retries written straight into MongoDB, then all made due by one update. */
export async function retryDrain(stack: Stack, sizes: Sizes): Promise<Row> {
  const { ctx } = stack;
  log(`retry scheduler: seeding ${formatNumber(sizes.retries)} due deliveries`);
  let lastPrint = 0;
  await seedHeldRetries(
    ctx.db,
    stack.appId,
    stack.fanEndpoints,
    sizes.retries,
    'retries',
    (written) => {
      if (written - lastPrint < 20_000 && written !== sizes.retries) return;
      lastPrint = written;
      log(`  seeded ${formatNumber(written)}`);
    },
  );
  for (const p of ctx.processes) p.resetPeak();
  // The drain is timed from the end of the bench's own update that makes them due (13 s of the
  // 48 s measured at 0db3835 were that update); attempts may start while it runs.
  const releaseMs = await releaseHeldRetries(ctx.db, stack.appId);
  const meter = await startMeter(ctx);
  const startedAt = preciseNow();
  log(`  all due at once (the release took ${(releaseMs / 1000).toFixed(1)} s); draining`);
  const run = await settledWithCpu(
    ctx,
    meter,
    await untilDelivered(ctx, 'retries', 'retries', sizes.retries, startedAt),
  );
  return {
    measure: `retry scheduler: ${formatNumber(sizes.retries)} deliveries due at once, time from the release until all attempted`,
    platform: `${run.seconds.toFixed(1)} s (${formatNumber(run.perSecond)}/s)${run.complete ? '' : ' (incomplete)'}`,
    naive: '',
    ratio: '',
    rss: rss(run),
    load: loads(run),
    cpu: cpu(run),
  };
}

/** A second notifier on the same broker and database; the sink counts repeated webhook-ids. */
export async function scaleOut(stack: Stack, sizes: Sizes, single: DeliveryRun): Promise<Row> {
  const { ctx } = stack;
  log(`scale-out: a second notifier, ${sizes.single} messages to one endpoint`);
  stack.startNotifier('notifier-2');
  await ctx.probe.waitForConsumers(INTAKE_QUEUE, 2, ctx.processes);
  await deliveryRun(ctx, 'warm-up', stack.ours('bench.single', 'warmup-2'), 1000, 1000);
  const scaled = await deliveryRun(
    ctx,
    '2 notifiers',
    stack.ours('bench.single', 'scaled'),
    sizes.single,
    sizes.single,
  );
  const factor = (scaled.perSecond / single.perSecond).toFixed(2);
  return {
    measure: `scale-out: ${formatNumber(sizes.single)} messages -> 1 endpoint, 2 notifiers vs 1 (duplicates at the sink)`,
    platform:
      `${rateCell(scaled)} vs ${formatNumber(single.perSecond)}/s (${factor}x); ` +
      `duplicates ${scaled.result.duplicates} vs ${single.result.duplicates}`,
    naive: '',
    ratio: '',
    rss: rss(scaled),
    load: loads(scaled),
  };
}

/** Attempts in flight to the slow recipient per notifier, in the slow scale-out row. */
const SLOW_ENDPOINT_CONCURRENCY = '10';

/**
 * Scale-out where notifiers are the limit: a recipient that takes SLOW_RESPONSE_MS to answer, with
 * SLOW_ENDPOINT_CONCURRENCY attempts in flight to it per notifier, so one notifier gets through
 * about SLOW_ENDPOINT_CONCURRENCY / SLOW_RESPONSE_MS deliveries a second to it and a second
 * notifier brings as many again. (At the default ceiling one notifier alone would keep this
 * machine's MongoDB busy, which the other scale-out row measures.)
 */
export async function slowRecipientScaleOut(
  stack: Stack,
  sizes: Sizes,
  notifierEnv: Record<string, string>,
): Promise<Row> {
  const { ctx } = stack;
  log(`scale-out, slow recipient: ${sizes.slow} messages, one notifier then two`);
  await Promise.all(
    ctx.processes.filter((p) => p.name.startsWith('notifier')).map((p) => p.stop()),
  );
  const runs: DeliveryRun[] = [];
  for (const notifiers of [1, 2]) {
    stack.startNotifier(`notifier-slow-${notifiers}`, {
      ENDPOINT_CONCURRENCY: SLOW_ENDPOINT_CONCURRENCY,
      ...notifierEnv,
    });
    await ctx.probe.waitForConsumers(INTAKE_QUEUE, notifiers, ctx.processes);
    await deliveryRun(
      ctx,
      'warm-up',
      stack.ours('bench.slow', `warmup-slow-${notifiers}`),
      200,
      200,
    );
    runs.push(
      await deliveryRun(
        ctx,
        `${notifiers} notifier${notifiers > 1 ? 's' : ''}`,
        stack.ours('bench.slow', `slow-${notifiers}`),
        sizes.slow,
        sizes.slow,
      ),
    );
  }
  const [one, two] = runs as [DeliveryRun, DeliveryRun];
  return {
    measure: `scale-out, slow recipient: ${formatNumber(sizes.slow)} messages -> 1 endpoint answering in ${SLOW_RESPONSE_MS} ms, ENDPOINT_CONCURRENCY=${SLOW_ENDPOINT_CONCURRENCY}, 2 notifiers vs 1 (duplicates at the sink)`,
    platform:
      `${rateCell(two)} vs ${rateCell(one)} (${(two.perSecond / one.perSecond).toFixed(2)}x); ` +
      `duplicates ${two.result.duplicates} vs ${one.result.duplicates}`,
    naive: '',
    ratio: '',
    rss: rss(two),
    load: loads(two),
  };
}

/** Keys the ordered measure spreads its messages over. */
const ORDERING_KEYS = 200;

/**
 * The same keyed load to one endpoint, unordered and then ordered (ADR 0013): what one message at
 * a time per key, and the hand-off after each delivery, cost in deliveries per second.
 */
export async function orderedThroughput(stack: Stack, sizes: Sizes): Promise<Row> {
  const { ctx } = stack;
  const keyed = (eventType: string, phase: string) => ({
    ...stack.ours(eventType, phase),
    orderingKeys: ORDERING_KEYS,
  });
  log(`ordered: ${sizes.single} messages over ${ORDERING_KEYS} keys to one endpoint, unordered`);
  const unordered = await deliveryRun(
    ctx,
    'unordered',
    keyed('bench.single', 'keyed-unordered'),
    sizes.single,
    sizes.single,
  );
  log(`ordered: the same to an ordered endpoint`);
  const ordered = await deliveryRun(
    ctx,
    'ordered',
    keyed('bench.ordered', 'keyed-ordered'),
    sizes.single,
    sizes.single,
  );
  return {
    measure: `ordered delivery: ${formatNumber(sizes.single)} messages over ${ORDERING_KEYS} keys -> 1 endpoint, ordered vs unordered (deliveries/s)`,
    platform: `${rateCell(ordered)} vs ${rateCell(unordered)} (${(ordered.perSecond / unordered.perSecond).toFixed(2)}x)`,
    naive: '',
    ratio: '',
    rss: rss(ordered),
    load: loads(ordered),
  };
}

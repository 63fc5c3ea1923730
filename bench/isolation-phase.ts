import { latencyCell, log, settle, untilDelivered, type DeliveryRun } from './measure';
import type { Sizes } from './options';
import { PLATFORM, type Batch } from './publisher';
import { formatNumber, type Row } from './report';
import { releaseHeldRetries, seedHeldRetries } from './seed-due';
import { ADMIN_KEY, callApi } from './setup';
import type { Stack } from './stack';
import { preciseNow } from './webhook-sink';

/** Another app's probes: this many a second, for this long, to a healthy endpoint. */
const PROBE_RATE = 20;
const PROBE_MS = 5_000;
/** The hanging app: 40 endpoints that never answer, 25 messages to each. */
const HANGING_ENDPOINTS = 40;
const HANGING_MESSAGES = 25;
const HANGING_TIMEOUT_MS = 30_000;

/**
 * Tenant isolation (ADR 0008): the first-attempt latency of another app's messages, unloaded,
 * while the bench app has `sizes.retries` deliveries due at once to its ten fast endpoints, and
 * while it has 1,000 deliveries to 40 endpoints that never answer.
 */
export async function isolation(stack: Stack, sizes: Sizes): Promise<Row[]> {
  const { ctx } = stack;
  const other = await callApi<{ id: string; apiKey: string }>(
    stack.api.url,
    ADMIN_KEY,
    '/v1/apps',
    { name: 'bench-other' },
  );
  await callApi(stack.api.url, other.apiKey, '/v1/endpoints', {
    channel: 'webhook',
    url: ctx.sink.url('/other'),
    eventTypes: ['bench.other'],
  });
  const probes = (phase: string): Batch => ({
    target: PLATFORM,
    appId: other.id,
    eventType: 'bench.other',
    phase,
  });

  log(
    `isolation: another app's first attempts, unloaded (${PROBE_RATE}/s for ${PROBE_MS / 1000} s)`,
  );
  const unloaded = await probeRun(stack, probes('iso-unloaded'), 'unloaded');
  await settle(ctx);

  log(`isolation: while the bench app has ${formatNumber(sizes.retries)} deliveries due at once`);
  await seedHeldRetries(ctx.db, stack.appId, stack.fanEndpoints, sizes.retries, 'iso-flood', () => {
    // quiet: the retries measure prints the seeding
  });
  const floodStart = preciseNow();
  await releaseHeldRetries(ctx.db, stack.appId);
  const flood = await probeRun(stack, probes('iso-flood-probes'), 'flood');
  const floodDone = (await ctx.sink.progress('iso-flood')).distinct;
  await untilDelivered(ctx, 'flood', 'iso-flood', sizes.retries, floodStart);
  await settle(ctx);

  log(
    `isolation: while the bench app has ${HANGING_ENDPOINTS} endpoints that never answer, ${HANGING_MESSAGES} messages each`,
  );
  const hangingIds: string[] = [];
  for (let i = 0; i < HANGING_ENDPOINTS; i++) {
    const endpoint = await callApi<{ id: string }>(
      stack.api.url,
      stack.api.apiKey,
      '/v1/endpoints',
      {
        channel: 'webhook',
        url: ctx.sink.url(`/hang/${i}`),
        eventTypes: ['bench.hang'],
        timeoutMs: HANGING_TIMEOUT_MS,
      },
    );
    hangingIds.push(endpoint.id);
  }
  const hangStart = Date.now();
  await ctx.publisher.burst(
    { target: PLATFORM, appId: stack.appId, eventType: 'bench.hang', phase: 'iso-hang' },
    HANGING_MESSAGES,
  );
  // Its attempts are hanging before the probes start.
  while ((await ctx.sink.progress('iso-hang')).requests < HANGING_ENDPOINTS) {
    if (Date.now() - hangStart > 30_000) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const hanging = await probeRun(stack, probes('iso-hang-probes'), 'hanging');
  const hangRequests = (await ctx.sink.take('iso-hang')).requests;
  // Deleting them cancels what is pending; the attempts in flight end at their timeout.
  for (const id of hangingIds) {
    await fetch(`${stack.api.url}/v1/endpoints/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.api.apiKey}` },
    });
  }
  await settle(ctx);

  const measure = "another app's first-attempt latency (20 probes/s for 5 s)";
  return [
    row(`${measure}: unloaded`, unloaded),
    row(
      `${measure}: while one app floods (${formatNumber(sizes.retries)} due at once; ${formatNumber(floodDone)} of them attempted by the last probe)`,
      flood,
    ),
    row(
      `${measure}: while one app hangs (${HANGING_ENDPOINTS} endpoints never answering, timeoutMs ${HANGING_TIMEOUT_MS}, ${formatNumber(HANGING_ENDPOINTS * HANGING_MESSAGES)} deliveries; ${hangRequests} of its attempts open)`,
      hanging,
    ),
  ];
}

async function probeRun(stack: Stack, batch: Batch, label: string): Promise<DeliveryRun> {
  const startedAt = preciseNow();
  const count = await stack.ctx.publisher.paced(batch, PROBE_RATE, PROBE_MS);
  return untilDelivered(stack.ctx, label, batch.phase, count, startedAt);
}

function row(measure: string, run: DeliveryRun): Row {
  return {
    measure,
    platform: latencyCell(run),
    naive: '',
    ratio: '',
    rss: run.rssMb.toFixed(0),
    load: run.load,
  };
}

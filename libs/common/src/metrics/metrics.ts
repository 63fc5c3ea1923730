import { Counter, Gauge, Histogram, collectDefaultMetrics, register } from 'prom-client';

/**
 * The platform's Prometheus metrics. They live in prom-client's default registry, once per
 * process: `npm start` runs the API and a notifier in one process, and tests run several
 * notifiers in one, so they must not be created per Nest module.
 */
export const metricsRegistry = register;

export const messagesAccepted = new Counter({
  name: 'notify_messages_accepted_total',
  help: 'Messages accepted: source="api" answered 202 to POST /v1/messages, source="intake" stored by a notifier (from any producer)',
  labelNames: ['source'] as const,
});

/** What one attempt (or settlement without one) did to its delivery. */
export type DeliveryOutcomeLabel =
  'succeeded' | 'retry_scheduled' | 'failed' | 'cancelled' | 'acknowledged';

export const deliveryOutcomes = new Counter({
  name: 'notify_deliveries_total',
  help: 'Delivery outcomes: succeeded, retry_scheduled (an attempt failed, another is planned), failed (schedule exhausted or permanent error), cancelled, acknowledged (through the inbox)',
  labelNames: ['outcome'] as const,
});

export const attemptDuration = new Histogram({
  name: 'notify_delivery_attempt_duration_seconds',
  help: 'How long delivery attempts took, by outcome (succeeded, failed)',
  labelNames: ['outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});

/** Why a claimed delivery was put back without an attempt (its attempt count unchanged). */
export type PostponeReason =
  'endpoint_busy' | 'rate_limited' | 'circuit_open' | 'shutting_down' | 'channel_quota';

export const deliveriesPostponed = new Counter({
  name: 'notify_deliveries_postponed_total',
  help: 'Deliveries put back without an attempt, by reason: endpoint_busy (ENDPOINT_CONCURRENCY reached), rate_limited (rateLimitPerSecond), circuit_open (the endpoint is failing hard), shutting_down (handed back at SIGTERM), channel_quota (the app emailsPerHour or smsPerHour quota)',
  labelNames: ['reason'] as const,
});

export const circuitTransitions = new Counter({
  name: 'notify_endpoint_circuit_transitions_total',
  help: 'Endpoint circuit breaker events: opened (attempts postponed for a cool-down), disabled (sustained failure: the endpoint was disabled)',
  labelNames: ['transition'] as const,
});

type BacklogSource = () => Promise<number>;
const backlogSources: BacklogSource[] = [];

export const deliveryBacklog = new Gauge({
  name: 'notify_delivery_backlog',
  help: 'Deliveries due now that no notifier has claimed yet, counted in MongoDB at scrape time',
  async collect() {
    const source = backlogSources[0];
    if (source === undefined) return;
    try {
      this.set(await source());
    } catch {
      // MongoDB unreachable: keep the last value rather than fail the whole scrape.
    }
  },
});

/** Lets a process answer the backlog gauge from its database; returns the way to stop. */
export function registerBacklogSource(source: BacklogSource): () => void {
  backlogSources.push(source);
  return () => {
    const index = backlogSources.indexOf(source);
    if (index >= 0) backlogSources.splice(index, 1);
  };
}

let processMetrics = false;

/** Node.js process metrics (CPU, memory, event loop lag), registered once per process. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ prefix: 'notify_' });
}

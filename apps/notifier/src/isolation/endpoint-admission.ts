import type { EndpointEntity } from '@app/dal';

/** What an endpoint's circuit breaker allows right now (docs/operations.md). */
export type CircuitView =
  /** Attempts go ahead. */
  | { state: 'closed' }
  /** Failing hard: no attempt before `until`. */
  | { state: 'open'; until: Date }
  /** The cool-down is over: one probe attempt decides whether it closes or opens again. */
  | { state: 'half-open' };

export function circuitOf(endpoint: EndpointEntity, now: Date): CircuitView {
  const until = endpoint.circuitOpenUntil;
  if (until === undefined) return { state: 'closed' };
  return until > now ? { state: 'open', until } : { state: 'half-open' };
}

/**
 * When deliveries over an endpoint's rateLimitPerSecond go next: the first `limit` of them into
 * the next second, the following `limit` into the one after, and so on, each at a random moment
 * of its second so that they do not all fall due at its start.
 */
export function rateLimitedDueTimes(
  count: number,
  limit: number,
  now: Date,
  random: () => number,
): Date[] {
  const nextSecond = (Math.floor(now.getTime() / 1000) + 1) * 1000;
  return Array.from(
    { length: count },
    (_, index) =>
      new Date(nextSecond + Math.floor(index / limit) * 1000 + Math.floor(random() * 1000)),
  );
}

/** A spread for deliveries postponed to the same moment: a tenth of the wait, 1 s to 30 s. */
export function spreadFor(waitMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.floor(waitMs / 10)));
}

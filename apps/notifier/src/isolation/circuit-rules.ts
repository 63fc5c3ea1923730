import { groupBy } from '@app/common';
import type { CircuitState, CircuitWrite, EndpointHealthUpdate } from '@app/dal';

/** One attempt's outcome, as it bears on its endpoint's health. */
export interface EndpointHealthChange {
  endpointId: string;
  at: Date;
  succeeded: boolean;
  /** Set when the endpoint must be disabled (e.g. it answered 410 Gone). */
  disableReason?: string;
}

/** The circuit breaker's settings (CIRCUIT_BREAKER_* in the notifier's configuration). */
export interface CircuitPolicy {
  /**
   * Consecutive failures that open the circuit, provided they span at least one cool-down: a
   * burst of failures within a second (a recipient restarting under load) is not "failing hard".
   */
  openAfterFailures: number;
  /** The first cool-down; each further opening in the same streak doubles it, up to the max. */
  cooldownMs: number;
  maxCooldownMs: number;
  /**
   * The endpoint is disabled once it has failed, with no success at all, for disableAfterMs and
   * at least disableAfterFailures times in a row: sustained in time and in evidence. Either alone
   * misleads: a burst of a hundred failures can fit in one second of a recipient's restart, and a
   * rarely used endpoint can go five days between two failed attempts.
   */
  disableAfterFailures: number;
  disableAfterMs: number;
}

export type CircuitTransition =
  | {
      kind: 'opened';
      endpointId: string;
      until: Date;
      cooldownMs: number;
      consecutiveFailures: number;
    }
  | { kind: 'disabled'; endpointId: string; reason: string };

/** What to write, and what it means once written. */
export interface CircuitChange {
  write: CircuitWrite;
  transition: CircuitTransition;
}

/**
 * How far an endpoint's stored lastSuccessAt may lag behind its latest success: a batch of only
 * successes to an endpoint that is healthy, with a success stored this recently, writes nothing.
 * Under a steady flow that is one health write per endpoint a second instead of one per batch.
 */
export const LAST_SUCCESS_RESOLUTION_MS = 1_000;

/**
 * The health updates that a batch's outcomes make, one per endpoint (healthUpdate).
 */
export function healthUpdates(changes: readonly EndpointHealthChange[]): EndpointHealthUpdate[] {
  const byEndpoint = groupBy(changes, (change) => change.endpointId);
  return [...byEndpoint.values()].map(healthUpdate);
}

/**
 * What one endpoint's outcomes do to its health, as if applied one by one in time order: a
 * success resets consecutiveFailures and closes the circuit (docs/operations.md), each failure
 * after it counts one and the first of them starts a new streak, a 410 disables the endpoint.
 */
export function healthUpdate(changes: readonly EndpointHealthChange[]): EndpointHealthUpdate {
  const ordered = [...changes].sort((a, b) => a.at.getTime() - b.at.getTime());
  const lastSuccess = ordered.findLastIndex((change) => change.succeeded);
  const lastFailure = ordered.findLast((change) => !change.succeeded);
  const disabling = ordered.findLast((change) => change.disableReason !== undefined);
  return {
    endpointId: ordered[0]!.endpointId,
    lastSuccessAt: lastSuccess < 0 ? undefined : ordered[lastSuccess]!.at,
    lastFailureAt: lastFailure?.at,
    streak:
      lastSuccess < 0
        ? { kind: 'extended', failures: ordered.length, from: ordered[0]!.at }
        : {
            kind: 'restarted',
            failures: ordered.length - 1 - lastSuccess,
            since: ordered[lastSuccess + 1]?.at,
          },
    disable:
      disabling?.disableReason === undefined
        ? undefined
        : { reason: disabling.disableReason, at: disabling.at },
    closeCircuit: lastSuccess >= 0,
    // Only successes: nothing to write if the stored health already says as much (see above).
    ...(lastFailure === undefined && disabling === undefined
      ? { unlessHealthySince: new Date(ordered.at(-1)!.at.getTime() - LAST_SUCCESS_RESOLUTION_MS) }
      : {}),
  };
}

/**
 * What an endpoint's circuit does after its latest outcome was a failure (the state is read
 * after the batch's health was written):
 * - disabled, when the streak reached disableAfterFailures and has lasted disableAfterMs;
 * - opened for a cool-down, when it reached openAfterFailures over at least one cool-down and
 *   the circuit was closed, or a probe just failed (each opening doubles the cool-down, up to
 *   maxCooldownMs);
 * - otherwise unchanged (an attempt that started before the circuit opened and failed since).
 * Each write is fenced on the state it was computed from (EndpointCircuitRepository.write).
 */
export function planCircuit(
  state: CircuitState,
  policy: CircuitPolicy,
  now: Date,
): CircuitChange | undefined {
  if (!state.enabled) return undefined;
  const failures = state.consecutiveFailures;
  const since = state.failingSince;
  const streakMs = since === undefined ? 0 : now.getTime() - since.getTime();
  if (
    since !== undefined &&
    failures >= policy.disableAfterFailures &&
    streakMs >= policy.disableAfterMs
  ) {
    const reason = `circuit breaker: ${failures} consecutive failed attempts over ${describeMs(streakMs)}, since ${since.toISOString()}, without a success`;
    return {
      write: { kind: 'disable', endpointId: state._id, reason, at: now },
      transition: { kind: 'disabled', endpointId: state._id, reason },
    };
  }
  const closed = state.circuitOpenUntil === undefined;
  if (failures < policy.openAfterFailures || !(closed || state.circuitProbing === true)) {
    return undefined;
  }
  if (closed && streakMs < policy.cooldownMs) return undefined;
  const openings = state.circuitOpenings ?? 0;
  const cooldownMs = Math.min(policy.maxCooldownMs, policy.cooldownMs * 2 ** openings);
  const until = new Date(now.getTime() + cooldownMs);
  return {
    write: {
      kind: 'open',
      endpointId: state._id,
      until,
      openings: openings + 1,
      seen: { circuitOpenUntil: state.circuitOpenUntil, circuitOpenings: state.circuitOpenings },
    },
    transition: {
      kind: 'opened',
      endpointId: state._id,
      until,
      cooldownMs,
      consecutiveFailures: failures,
    },
  };
}

function describeMs(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours >= 48) return `${Math.floor(hours / 24)} days`;
  if (hours >= 1) return `${Math.floor(hours)} hours`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} minutes`;
  return `${Math.floor(ms / 1000)} seconds`;
}

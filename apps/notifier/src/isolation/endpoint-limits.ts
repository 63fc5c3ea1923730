import { MAX_TIMEOUT_MS } from '@app/contracts';

/** Attempts in flight a newly seen (or forgotten) endpoint starts with; it earns more. */
export const INITIAL_ENDPOINT_LIMIT = 2;
/** An attempt this close to its timeout was cut off by it: the endpoint hangs. */
const TIMED_OUT_RATIO = 0.9;
/**
 * An attempt slower than this many times the endpoint's usual duration, and than SLOW_FLOOR_MS:
 * the floor keeps a busy notifier's own delays (an event loop behind by a few hundred ms) from
 * passing for the endpoint's.
 */
const SLOWDOWN_FACTOR = 5;
const SLOW_FLOOR_MS = 2_000;
/** Endpoints whose state is remembered while they hold nothing (the most recent ones). */
const ENDPOINT_MEMORY = 10_000;

/** What one finished attempt tells about its endpoint. */
export interface AttemptObservation {
  /** performance.now() when it started. */
  startedAt: number;
  durationMs: number;
  /** The attempt's timeout. */
  timeoutMs: number;
  /** The recipient answered in time (any answer; only hanging and slowness cost slots). */
  answered: boolean;
  /** It answered that it is overloaded (429 Too Many Requests, 503 Service Unavailable). */
  overloaded?: boolean;
}

export interface EndpointState {
  /** Claimed deliveries held here: waiting, about to start or running. */
  held: number;
  running: number;
  /** Attempts in flight allowed now (AIMD), 1..ENDPOINT_CONCURRENCY. */
  limit: number;
  /** Below it the limit grows by one per answered attempt, above it by one per round. */
  threshold: number;
  /** performance.now() of the last decrease: attempts started before it do not halve again. */
  decreasedAt: number;
  /** Moving average of the duration of attempts answered or timed out, ms. */
  paceMs?: number;
  timeoutMs: number;
}

/**
 * Per endpoint, what this notifier knows of it (soft state, lost at a restart): deliveries held
 * and attempts running here, its adaptive limit and its pace. The most recently used
 * ENDPOINT_MEMORY endpoints are remembered; an idle one beyond that is forgotten and starts at
 * INITIAL_ENDPOINT_LIMIT again.
 */
export class EndpointStates {
  /** Most recently used last. */
  private readonly endpoints = new Map<string, EndpointState>();

  constructor(
    private readonly initialLimit: number,
    private readonly endpointConcurrency: number,
  ) {}

  /** The endpoint's state if known, without touching it. */
  get(endpointId: string): EndpointState | undefined {
    return this.endpoints.get(endpointId);
  }

  /** Endpoints with deliveries held here. */
  held(): string[] {
    return [...this.endpoints].filter(([, state]) => state.held > 0).map(([id]) => id);
  }

  /** The endpoint's state, now the most recently used; the oldest idle ones are forgotten. */
  state(endpointId: string): EndpointState {
    let state = this.endpoints.get(endpointId);
    if (state !== undefined) {
      this.endpoints.delete(endpointId);
    } else {
      state = {
        held: 0,
        running: 0,
        limit: this.initialLimit,
        threshold: this.endpointConcurrency,
        decreasedAt: Number.NEGATIVE_INFINITY,
        timeoutMs: MAX_TIMEOUT_MS,
      };
    }
    this.endpoints.set(endpointId, state);
    if (this.endpoints.size > ENDPOINT_MEMORY) {
      for (const [id, candidate] of this.endpoints) {
        if (candidate.held > 0 || candidate.running > 0) continue;
        this.endpoints.delete(id);
        break;
      }
    }
    return state;
  }
}

/**
 * What an ended attempt does to its endpoint's limit (AIMD): an answered one raises it (by one
 * below the threshold, by one per round above it); one that timed out, was much slower than usual
 * or was answered 429 or 503 (the recipient asks for less) halves it, once per round. Either moves
 * the pace toward its duration.
 */
export function adaptLimit(state: EndpointState, seen: AttemptObservation, max: number): void {
  const timedOut = !seen.answered && seen.durationMs >= seen.timeoutMs * TIMED_OUT_RATIO;
  const slow =
    state.paceMs !== undefined &&
    seen.durationMs > Math.max(SLOW_FLOOR_MS, SLOWDOWN_FACTOR * state.paceMs);
  if (timedOut || slow || seen.overloaded === true) {
    // One halving per round: attempts that started before the last one were judged by it.
    if (seen.startedAt >= state.decreasedAt) {
      state.limit = Math.max(1, Math.floor(state.limit / 2));
      state.threshold = state.limit;
      state.decreasedAt = seen.startedAt + seen.durationMs;
    }
    // A timed-out one too: the endpoint's deliveries stop waiting for it (allowanceFor).
    state.paceMs = movingAverage(state.paceMs, seen.durationMs);
    return;
  }
  if (!seen.answered) return;
  state.paceMs = movingAverage(state.paceMs, seen.durationMs);
  const step = state.limit < state.threshold ? 1 : 1 / Math.floor(state.limit);
  state.limit = Math.min(max, state.limit + step);
}

function movingAverage(averageMs: number | undefined, durationMs: number): number {
  return averageMs === undefined ? durationMs : 0.8 * averageMs + 0.2 * durationMs;
}

import type { Model, mongo } from 'mongoose';
import type { EndpointEntity } from './endpoint.entity';

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

export type CircuitState = Pick<
  EndpointEntity,
  | '_id'
  | 'enabled'
  | 'consecutiveFailures'
  | 'failingSince'
  | 'circuitOpenUntil'
  | 'circuitOpenings'
  | 'circuitProbing'
>;

export type CircuitTransition =
  | {
      kind: 'opened';
      endpointId: string;
      until: Date;
      cooldownMs: number;
      consecutiveFailures: number;
    }
  | { kind: 'disabled'; endpointId: string; reason: string };

export interface CircuitChange {
  filter: mongo.Filter<EndpointEntity>;
  update: mongo.UpdateFilter<EndpointEntity>;
  transition: CircuitTransition;
}

const CIRCUIT_FIELDS = { circuitOpenUntil: '', circuitOpenings: '', circuitProbing: '' } as const;

/**
 * What an endpoint's circuit does after its latest outcome was a failure (pure; the state is read
 * after the batch's health was written):
 * - disabled, when the streak reached disableAfterFailures and has lasted disableAfterMs;
 * - opened for a cool-down, when it reached openAfterFailures over at least one cool-down and
 *   the circuit was closed, or a probe just failed (each opening doubles the cool-down, up to
 *   maxCooldownMs);
 * - otherwise unchanged (an attempt that started before the circuit opened and failed since).
 * Each change is fenced on the state it was computed from, so of two notifiers deciding at once
 * only one applies it.
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
      filter: { _id: state._id, enabled: true },
      update: {
        $set: { enabled: false, disabledReason: reason, updatedAt: now },
        $unset: CIRCUIT_FIELDS,
      },
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
    filter: {
      _id: state._id,
      enabled: true,
      circuitOpenUntil: state.circuitOpenUntil ?? { $exists: false },
      circuitOpenings: state.circuitOpenings ?? { $exists: false },
    },
    update: {
      $set: { circuitOpenUntil: until, circuitOpenings: openings + 1, circuitProbing: false },
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

/** The circuit breaker's reads and writes on the endpoints collection (docs/operations.md). */
export class EndpointCircuitRepository {
  constructor(private readonly model: Model<EndpointEntity>) {}

  private get collection(): mongo.Collection<EndpointEntity> {
    return this.model.collection as unknown as mongo.Collection<EndpointEntity>;
  }

  /**
   * For endpoints whose latest outcome in a batch was a failure, after that batch's health was
   * recorded: opens or disables their circuits. One read, and one write when anything changes.
   * Returns what changed.
   */
  async afterFailures(
    endpointIds: readonly string[],
    policy: CircuitPolicy,
    now: Date,
  ): Promise<CircuitTransition[]> {
    if (endpointIds.length === 0) return [];
    const states = await this.collection
      .find(
        { _id: { $in: [...endpointIds] }, enabled: true },
        {
          projection: {
            enabled: 1,
            consecutiveFailures: 1,
            failingSince: 1,
            circuitOpenUntil: 1,
            circuitOpenings: 1,
            circuitProbing: 1,
          },
        },
      )
      .toArray();
    const changes = states.flatMap((state) => planCircuit(state, policy, now) ?? []);
    if (changes.length === 0) return [];
    const result = await this.collection.bulkWrite(
      changes.map((change) => ({ updateOne: { filter: change.filter, update: change.update } })),
      { ordered: false },
    );
    // Almost always all of them; when another notifier got there first, report only the ones
    // that certainly applied rather than guess.
    if (result.modifiedCount === changes.length) return changes.map((c) => c.transition);
    const applied = await this.collection
      .find({ _id: { $in: changes.map((c) => c.transition.endpointId) } })
      .project<CircuitState>({ enabled: 1, circuitOpenUntil: 1 })
      .toArray();
    return changes
      .filter((change) => {
        const now = applied.find((a) => a._id === change.transition.endpointId);
        return change.transition.kind === 'disabled'
          ? now?.enabled === false
          : now?.circuitOpenUntil?.getTime() === change.transition.until.getTime();
      })
      .map((change) => change.transition);
  }

  /**
   * Half-open: takes the single probe attempt of an endpoint whose cool-down is over, holding the
   * circuit until `holdUntil` (the probe's attempt must end by then). True for exactly one caller
   * among every notifier; if the prober dies, the hold simply runs out and another one probes.
   */
  async acquireProbe(endpointId: string, now: Date, holdUntil: Date): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: endpointId, enabled: true, circuitOpenUntil: { $lte: now } },
      { $set: { circuitOpenUntil: holdUntil, circuitProbing: true } },
    );
    return result.modifiedCount === 1;
  }
}

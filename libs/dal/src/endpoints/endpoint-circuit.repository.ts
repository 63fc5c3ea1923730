import type { Model, mongo } from 'mongoose';
import { recordEndpointChanges } from './endpoint-changes';
import type { EndpointEntity } from './endpoint.entity';

/** What the circuit breaker reads of an endpoint to decide on its circuit. */
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

/**
 * A change of an endpoint's circuit, as the notifier decided it from a CircuitState. Each one is
 * written only if the endpoint is still as it was read, so of two notifiers deciding at once only
 * one applies it.
 */
export type CircuitWrite =
  /** Disables the endpoint for good (until re-enabled), forgetting its circuit. */
  | { kind: 'disable'; endpointId: string; reason: string; at: Date }
  /** Opens the circuit until `until`, its `openings`-th opening of the streak. */
  | {
      kind: 'open';
      endpointId: string;
      until: Date;
      openings: number;
      /** The circuit as it was read: the write is fenced on it. */
      seen: Pick<CircuitState, 'circuitOpenUntil' | 'circuitOpenings'>;
    };

/** The circuit's state on the endpoint, as an $unset (closing it forgets all of it). */
export const CIRCUIT_FIELDS = {
  circuitOpenUntil: '',
  circuitOpenings: '',
  circuitProbing: '',
} as const;

/** The fenced update that makes one CircuitWrite. */
export function circuitWriteOperation(write: CircuitWrite): {
  filter: mongo.Filter<EndpointEntity>;
  update: mongo.UpdateFilter<EndpointEntity>;
} {
  switch (write.kind) {
    case 'disable':
      return {
        filter: { _id: write.endpointId, enabled: true },
        update: {
          $set: { enabled: false, disabledReason: write.reason, updatedAt: write.at },
          $unset: CIRCUIT_FIELDS,
        },
      };
    case 'open':
      return {
        filter: {
          _id: write.endpointId,
          enabled: true,
          circuitOpenUntil: write.seen.circuitOpenUntil ?? { $exists: false },
          circuitOpenings: write.seen.circuitOpenings ?? { $exists: false },
        },
        update: {
          $set: {
            circuitOpenUntil: write.until,
            circuitOpenings: write.openings,
            circuitProbing: false,
          },
        },
      };
  }
}

/** The circuit breaker's reads and writes on the endpoints collection (docs/operations.md). */
export class EndpointCircuitRepository {
  constructor(private readonly model: Model<EndpointEntity>) {}

  private get collection(): mongo.Collection<EndpointEntity> {
    return this.model.collection as unknown as mongo.Collection<EndpointEntity>;
  }

  /** The circuits of these endpoints, the enabled ones (a disabled endpoint has none). */
  findStates(endpointIds: readonly string[]): Promise<CircuitState[]> {
    if (endpointIds.length === 0) return Promise.resolve([]);
    return this.collection
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
  }

  /**
   * Writes these changes, in one write, each fenced on the state it was decided from. Returns those
   * of the given objects that certainly applied: almost always all of them; when another notifier
   * got there first, only those found written rather than a guess.
   */
  async write(writes: readonly CircuitWrite[]): Promise<CircuitWrite[]> {
    if (writes.length === 0) return [];
    const result = await this.collection.bulkWrite(
      writes.map((write) => ({ updateOne: circuitWriteOperation(write) })),
      { ordered: false },
    );
    // Those another notifier got to first were announced by it: telling twice costs nothing.
    await this.changed(writes.map((write) => write.endpointId));
    if (result.modifiedCount === writes.length) return [...writes];
    const applied = await this.collection
      .find({ _id: { $in: writes.map((write) => write.endpointId) } })
      .project<CircuitState>({ enabled: 1, circuitOpenUntil: 1 })
      .toArray();
    return writes.filter((write) => {
      const now = applied.find((a) => a._id === write.endpointId);
      return write.kind === 'disable'
        ? now?.enabled === false
        : now?.circuitOpenUntil?.getTime() === write.until.getTime();
    });
  }

  /**
   * Closes these endpoints' circuits where one is open, as a success does (the health write closes
   * it too: this only comes first, to learn which it closes). Returns those closed here, each with
   * the cool-down end it had: of two notifiers closing one circuit at once, one closes it. One
   * round trip per endpoint: for the few successes that may close a circuit, not for every one.
   */
  async closeOpen(
    endpointIds: readonly string[],
  ): Promise<{ endpointId: string; openUntil: Date }[]> {
    const closed = await Promise.all(
      [...new Set(endpointIds)].map((endpointId) =>
        this.collection.findOneAndUpdate(
          { _id: endpointId, circuitOpenUntil: { $exists: true } },
          { $unset: CIRCUIT_FIELDS },
          { projection: { circuitOpenUntil: 1 }, returnDocument: 'before' },
        ),
      ),
    );
    const found = closed.flatMap((before) =>
      before?.circuitOpenUntil === undefined
        ? []
        : [{ endpointId: before._id, openUntil: before.circuitOpenUntil }],
    );
    await this.changed(found.map(({ endpointId }) => endpointId));
    return found;
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
    // Not taken: another notifier took it (and announced it), or the circuit its caller holds
    // was closed unannounced (EndpointHealthRepository.record): either way, read it again.
    await this.changed([endpointId]);
    return result.modifiedCount === 1;
  }

  /** Every process that holds these endpoints drops them (see ChangeLog). */
  private changed(endpointIds: readonly string[]): Promise<void> {
    return recordEndpointChanges(
      this.model,
      endpointIds.map((endpointId) => ({ endpointId })),
    );
  }
}

import type { Model, mongo } from 'mongoose';
import { CIRCUIT_FIELDS } from './endpoint-circuit.repository';
import { recordEndpointChanges } from './endpoint-changes';
import type { EndpointEntity, HealthWrite } from './endpoint.entity';

/**
 * What one batch of outcomes changes in an endpoint's health, as the notifier decided it
 * (apps/notifier/src/isolation/circuit-rules.ts).
 */
export interface EndpointHealthUpdate {
  endpointId: string;
  lastSuccessAt?: Date;
  lastFailureAt?: Date;
  /**
   * The failure streak: `extended` by failures after the stored ones (a streak already running
   * keeps its start, otherwise it starts at `from`), or `restarted` after a success with the
   * failures since (its start `since`; none when there were none).
   */
  streak:
    | { kind: 'extended'; failures: number; from: Date }
    | { kind: 'restarted'; failures: number; since?: Date };
  /** Disables the endpoint, saying why. */
  disable?: { reason: string; at: Date };
  /** Closes the circuit: forgets its cool-down, its openings and its probe. */
  closeCircuit: boolean;
  /**
   * Nothing is written when the endpoint is healthy (no failure streak, a closed circuit) and its
   * stored lastSuccessAt is this late or later: the update would only move lastSuccessAt forward
   * a little, and each write costs an index-free but journalled update and a change event.
   */
  unlessHealthySince?: Date;
}

/**
 * How many outcome writers' last batches an endpoint remembers. A writer's mark is dropped only
 * after this many other writers have written the endpoint's health since: far more notifier
 * processes than write one endpoint within a retry (1 s).
 */
export const HEALTH_WRITES_KEPT = 32;

/**
 * An endpoint's health as its attempts' outcomes leave it (lastSuccessAt, lastFailureAt, the
 * failure streak), written batch by batch by the notifier's outcome writers; what that health
 * means for the circuit is EndpointCircuitRepository's.
 */
export class EndpointHealthRepository {
  constructor(private readonly model: Model<EndpointEntity>) {}

  /** The driver's collection: the update pipelines' values need no casting by mongoose. */
  private get collection(): mongo.Collection<EndpointEntity> {
    return this.model.collection as unknown as mongo.Collection<EndpointEntity>;
  }

  /**
   * One update per endpoint, applied once per batch: each update is fenced on the endpoint not
   * having taken this writer's batch (or a later one) yet, and records it in healthWrites in the
   * same atomic write. So a batch written again after a partial write (its attempt log failed, or
   * the acknowledgement was lost) does not count its failures twice, which would open the circuit
   * early. A writer must write its batches in order and write a failed batch again exactly as it
   * was.
   *
   * The holders of an endpoint (ChangeLog) are told of the health writes that change more than its
   * counters: those that disable it, and those that close a circuit they hold, `seenOpen` by the
   * attempts. (One opened meanwhile by another notifier and closed here unannounced is read again
   * at its first probe: EndpointCircuitRepository.acquireProbe.)
   */
  async record(
    updates: readonly EndpointHealthUpdate[],
    write: HealthWrite,
    seenOpen: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    if (updates.length === 0) return;
    await this.collection.bulkWrite(
      updates.map((update) => ({
        updateOne: {
          filter: {
            _id: update.endpointId,
            healthWrites: {
              $not: { $elemMatch: { writer: write.writer, batch: { $gte: write.batch } } },
            },
            ...(update.unlessHealthySince === undefined
              ? {}
              : { $or: notHealthySince(update.unlessHealthySince) }),
          },
          update: [...healthPipeline(update), rememberWrite(write)],
        },
      })),
      { ordered: false },
    );
    const changed = updates.filter(
      (update) =>
        update.disable !== undefined || (update.closeCircuit && seenOpen.has(update.endpointId)),
    );
    await recordEndpointChanges(
      this.model,
      changed.map(({ endpointId }) => ({ endpointId })),
    );
  }
}

/**
 * An endpoint that is not healthy with a success stored at `since` or later: one of these holds.
 * (Skipping the write of a batch leaves its mark unwritten too, which is safe: only a streak's
 * extension is not idempotent, and an update carrying one is never skipped.)
 */
function notHealthySince(since: Date): mongo.Filter<EndpointEntity>[] {
  return [
    { lastSuccessAt: { $not: { $gte: since } } },
    { consecutiveFailures: { $ne: 0 } },
    { failingSince: { $exists: true } },
    ...Object.keys(CIRCUIT_FIELDS).map((field) => ({ [field]: { $exists: true } })),
  ];
}

/** The update pipeline that makes one EndpointHealthUpdate. */
function healthPipeline(update: EndpointHealthUpdate): mongo.Document[] {
  const literal = (value: unknown) => ({ $literal: value });
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  if (update.lastSuccessAt !== undefined) set.lastSuccessAt = literal(update.lastSuccessAt);
  if (update.lastFailureAt !== undefined) set.lastFailureAt = literal(update.lastFailureAt);
  if (update.disable !== undefined) {
    set.enabled = literal(false);
    set.disabledReason = literal(update.disable.reason);
    set.updatedAt = literal(update.disable.at);
  }
  const { streak } = update;
  switch (streak.kind) {
    case 'extended':
      set.consecutiveFailures = {
        $add: [{ $ifNull: ['$consecutiveFailures', 0] }, streak.failures],
      };
      // $min over a missing field is the other value: a streak already running keeps its start.
      set.failingSince = { $min: ['$failingSince', literal(streak.from)] };
      break;
    case 'restarted':
      set.consecutiveFailures = literal(streak.failures);
      if (streak.since === undefined) unset.push('failingSince');
      else set.failingSince = literal(streak.since);
      break;
  }
  if (update.closeCircuit) unset.push(...Object.keys(CIRCUIT_FIELDS));
  return [{ $set: set }, ...(unset.length > 0 ? [{ $unset: unset }] : [])];
}

/** Replaces the writer's mark with this batch, newest last, keeping HEALTH_WRITES_KEPT marks. */
function rememberWrite(write: HealthWrite): mongo.Document {
  const others = {
    $filter: {
      input: { $ifNull: ['$healthWrites', []] },
      cond: { $ne: ['$$this.writer', write.writer] },
    },
  };
  const mark = { $literal: [{ writer: write.writer, batch: write.batch }] };
  return {
    $set: { healthWrites: { $slice: [{ $concatArrays: [others, mark] }, -HEALTH_WRITES_KEPT] } },
  };
}

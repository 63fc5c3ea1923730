import { OPEN_DELIVERY_STATUSES, type DeliveryStatus } from '@app/contracts';
import type { Model, mongo } from 'mongoose';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import { distinctIdRounds, valueForId } from '../shared/per-document';
import { confirmHeld, insertOptions } from '../shared/unconfirmed-writes';
import type { DeliveryEntity } from './delivery.entity';
import { DUE_BY_APP_INDEX } from './delivery.schema';

/** Attempts of one claim about to start, and those of them whose previous attempt was abandoned. */
export interface AttemptStartMarks {
  claimToken: string;
  started: readonly string[];
  abandoned: readonly string[];
}

/** The state a finished attempt leaves its delivery in (never `held`: it was its turn). */
export type DeliveryUpdate = Pick<
  DeliveryEntity,
  'attemptCount' | 'nextAttemptAt' | 'lastAttemptAt' | 'lastError' | 'deliveredAt'
> & { status: Exclude<DeliveryStatus, 'held'>; updatedAt: Date };

export class DeliveryRepository {
  constructor(private readonly model: Model<DeliveryEntity>) {}

  /** The driver's collection, for hot paths whose values need no casting by mongoose. */
  private get collection(): mongo.Collection<DeliveryEntity> {
    return this.model.collection as unknown as mongo.Collection<DeliveryEntity>;
  }

  /**
   * Returns the ids of the deliveries that were not written because their (message, endpoint)
   * already has one (a replay): those must not be attempted as if they were claimed.
   * `unconfirmed`: written with UNCONFIRMED, to be confirmed with confirmHeld.
   */
  async insertMany(
    deliveries: DeliveryEntity[],
    { unconfirmed = false }: { unconfirmed?: boolean } = {},
  ): Promise<Set<string>> {
    const duplicates = await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, insertOptions(unconfirmed)),
      deliveries,
    );
    return new Set([...duplicates].map((index) => deliveries[index]!._id));
  }

  /**
   * Whether a majority holds all these deliveries (written unconfirmed); throws after `timeoutMs`
   * without an answer: see confirmHeld.
   */
  confirmHeld(ids: readonly string[], timeoutMs: number): Promise<boolean> {
    return confirmHeld(this.model, ids, timeoutMs);
  }

  findByMessage(appId: string, messageId: string): Promise<DeliveryEntity[]> {
    return this.model
      .find({ appId, messageId })
      .sort({ createdAt: 1, _id: 1 })
      .lean<DeliveryEntity[]>()
      .exec();
  }

  /** The (message, endpoint) pairs of these messages that have a delivery, as `messageId/endpointId`. */
  async existingPairs(messageIds: readonly string[]): Promise<Set<string>> {
    const found = await this.collection
      .find(
        { messageId: { $in: [...new Set(messageIds)] } },
        { projection: { _id: 0, messageId: 1, endpointId: 1 } },
      )
      .toArray();
    return new Set(found.map((d) => `${d.messageId}/${d.endpointId}`));
  }

  /** Those of these deliveries that are `failed` now (after an outcome write, which is fenced). */
  findFailed(ids: readonly string[]): Promise<DeliveryEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.model
      .find({ _id: { $in: ids }, status: 'failed' })
      .lean<DeliveryEntity[]>()
      .exec();
  }

  /**
   * Writes a batch of outcomes in one round trip, each fenced on its claim: a worker whose lease
   * expired (and whose delivery another worker took over) cannot overwrite the newer state. One
   * `updateMany` for the batch, each delivery getting its own values and matched only if it still
   * holds its own claim token (a batch holds outcomes of many claims: each intake batch is one); a
   * delivery two of whose claims ended in the batch is written by a second statement. A statement
   * per claim cost mongod half as much CPU again: 21 outcomes of 13 claims a batch, as at 200
   * messages a second, took 6.0-9.5 ms of its CPU against 3.8-6.3 ms, a third less in each of four
   * interleaved pairs (a script against the local MongoDB under wine). A plain `updateOne` per
   * delivery, for all it spares the expression, cost twice as much as this statement (a median of
   * 275 against 125 µs of mongod's CPU a delivery over 12 interleaved rounds of 400), and one
   * `updateMany` giving all of them the same values, a floor no outcome write gets below, 75 µs.
   */
  async recordOutcomes(
    outcomes: readonly {
      deliveryId: string;
      claimToken: string;
      update: DeliveryUpdate;
      /** An ordered delivery: ending it flags its key's hand-off too (OrderingKeyRepository). */
      ordered?: boolean;
    }[],
  ): Promise<void> {
    if (outcomes.length === 0) return;
    const rounds = distinctIdRounds(outcomes, (outcome) => outcome.deliveryId);
    const operations: mongo.AnyBulkWriteOperation<DeliveryEntity>[] = rounds.map((round) => {
      const ids = round.map((outcome) => outcome.deliveryId);
      const updates = round.map((outcome) => ({
        ...outcome.update,
        claimToken: null,
        attemptStartedAt: null,
        readyClaim: null,
        ...(outcome.update.status !== 'pending' && outcome.ordered === true
          ? { orderingHandOffStale: true }
          : {}),
      }));
      const claims = round.map((outcome) => outcome.claimToken);
      return {
        updateMany: {
          filter: { _id: { $in: ids }, $expr: { $eq: ['$claimToken', valueForId(ids, claims)] } },
          update: [{ $replaceWith: { $mergeObjects: ['$$ROOT', valueForId(ids, updates)] } }],
        },
      };
    });
    await this.collection.bulkWrite(operations, { ordered: false });
  }

  /**
   * Writes down, in one round trip, that attempts of these claimed deliveries start now
   * (`attemptStartedAt`), and counts one more abandoned attempt for each of `abandoned` (their
   * previous attempt started and never reported an outcome). Fenced on each claim, like an
   * outcome. `abandoned` may name deliveries that do not start (they are failed as poison instead).
   */
  async markAttemptsStarted(marks: readonly AttemptStartMarks[], now: Date): Promise<void> {
    const operations: mongo.AnyBulkWriteOperation<DeliveryEntity>[] = marks.flatMap(
      ({ started, abandoned, claimToken }) => [
        ...(started.length === 0
          ? []
          : [
              {
                updateMany: {
                  filter: { _id: { $in: [...started] }, claimToken },
                  update: { $set: { attemptStartedAt: now } },
                },
              },
            ]),
        ...(abandoned.length === 0
          ? []
          : [
              {
                updateMany: {
                  filter: { _id: { $in: [...abandoned] }, claimToken },
                  update: { $inc: { abandonedAttempts: 1 } },
                },
              },
            ]),
      ],
    );
    if (operations.length > 0) await this.collection.bulkWrite(operations, { ordered: false });
  }

  /** Removes deliveries this claim inserted and never attempted (intake planned them wrongly). */
  async withdraw(deliveryIds: readonly string[], claimToken: string): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.collection.deleteMany({
      _id: { $in: [...deliveryIds] },
      claimToken,
      attemptCount: 0,
    });
  }

  /**
   * Postpones claimed deliveries without an attempt (the endpoint is busy, over its rate limit or
   * its circuit is open): each is due again at its own time, its attempt count unchanged. Fenced
   * on the claim, like an outcome.
   */
  async postpone(
    postponements: readonly { deliveryId: string; dueAt: Date }[],
    claimToken: string,
  ): Promise<void> {
    if (postponements.length === 0) return;
    const ids = postponements.map((p) => p.deliveryId);
    const ownMark = { $eq: ['$readyClaim', claimToken] };
    await this.collection.updateMany({ _id: { $in: ids }, claimToken, status: 'pending' }, [
      {
        $set: {
          claimToken: null,
          nextAttemptAt: valueForId(
            ids,
            postponements.map((p) => p.dueAt),
          ),
          // What this claim marked goes with it; an earlier claim's marks stay (ADR 0010).
          attemptStartedAt: { $cond: [ownMark, null, '$attemptStartedAt'] },
          readyClaim: { $cond: [ownMark, null, '$readyClaim'] },
        },
      },
    ]);
  }

  /**
   * Moves every unclaimed pending delivery of an endpoint that is due before `until` to a time in
   * [until, until + spreadMs): the endpoint's circuit just opened, and they would only be claimed
   * to be postponed one by one. Those due later keep their time; attempts in flight keep theirs.
   */
  async postponeDueForEndpoint(endpointId: string, until: Date, spreadMs: number): Promise<number> {
    const result = await this.collection.updateMany(
      { endpointId, status: 'pending', claimToken: null, nextAttemptAt: { $lt: until } },
      [
        {
          $set: {
            nextAttemptAt: {
              $add: [until, { $floor: { $multiply: [{ $rand: {} }, spreadMs] } }],
            },
          },
        },
      ],
    );
    return result.modifiedCount;
  }

  /** Cancels an endpoint's pending (and held) deliveries; returns the messages they belong to. */
  async cancelPendingForEndpoint(appId: string, endpointId: string, now: Date): Promise<string[]> {
    const filter = { appId, endpointId, status: { $in: [...OPEN_DELIVERY_STATUSES] } };
    const messageIds: string[] = await this.model.distinct('messageId', filter).exec();
    await this.model
      .updateMany(filter, {
        $set: { status: 'cancelled', nextAttemptAt: null, claimToken: null, updatedAt: now },
      })
      .exec();
    return messageIds;
  }

  findById(appId: string, id: string): Promise<DeliveryEntity | null> {
    return this.model.findOne({ _id: id, appId }).lean<DeliveryEntity>().exec();
  }

  /** Due pending deliveries nobody has claimed yet: the backlog. */
  countDue(now: Date): Promise<number> {
    // Counted app by app: the scan skips from the end of one app's due keys to the next app.
    return this.model
      .countDocuments({ status: 'pending', nextAttemptAt: { $lte: now } })
      .hint(DUE_BY_APP_INDEX)
      .exec();
  }
}

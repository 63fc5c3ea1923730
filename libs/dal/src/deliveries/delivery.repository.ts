import { groupBy } from '@app/common';
import { OPEN_DELIVERY_STATUSES, type DeliveryStatus } from '@app/contracts';
import type { Model, mongo, PipelineStage } from 'mongoose';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import { distinctIdRounds, valueForId } from '../shared/per-document';
import type { AppScoped } from '../shared/tenant';
import type { DeliveryEntity } from './delivery.entity';

/** A [since, until) window on the time a delivery ended. */
export interface TimeWindow {
  since: Date;
  until: Date;
}

/** The claim's index: an app's pending deliveries by due time (delivery.schema.ts). */
const DUE_BY_APP_INDEX = 'due_pending_by_app';

/** How many deliveries one recover round moves, so a huge recovery stays a series of small writes. */
const RECOVER_BATCH = 1_000;

/**
 * Due again now, with a fresh schedule: the next attempt is the schedule's immediate first one and
 * the retries after it follow the schedule from its start, while attempts keep numbering on
 * (scheduleOffset remembers where this schedule began). Clearing the claim turns the fenced
 * outcome write of an attempt still in flight into a no-op; the attempts abandoned so far are
 * forgiven (an operator's redelivery gives a poison delivery another chance).
 */
export function freshScheduleUpdate(now: Date): PipelineStage.Set[] {
  return [
    {
      $set: {
        status: 'pending',
        nextAttemptAt: now,
        claimToken: null,
        scheduleOffset: '$attemptCount',
        deliveredAt: null,
        attemptStartedAt: null,
        readyClaim: null,
        abandonedAttempts: 0,
        updatedAt: now,
      },
    },
  ];
}

export interface ClaimRequest {
  now: Date;
  /** At most this many deliveries are read per app (and claimed in all, when `pick` is absent). */
  limit: number;
  leaseUntil: Date;
  claimToken: string;
  /** Endpoints this worker has no room for: their deliveries are left for later (or others). */
  excludeEndpointIds?: readonly string[];
  /** Apps this worker has no room for: their deliveries are not read at all. */
  excludeAppIds?: readonly string[];
  /** At most this many of an app's due deliveries are read (its room here); default `limit`. */
  roomForApp?: (appId: string) => number;
  /**
   * Apps are visited in order of id, starting after this one and wrapping around: a worker that
   * passes the last app it served visits every app in turn however many are due.
   */
  startAfterApp?: string;
  /**
   * Reads the due deliveries of every app not excluded in one go, by app then due time, at most
   * `limit` in all: one round trip rather than one per app, for a small claim of the apps that
   * hold almost nothing (the busy ones excluded), where per-app turns matter less than speed.
   */
  oneRead?: boolean;
  /**
   * Chooses, synchronously, which of the candidates read to claim (they come one app after the
   * other in turn, each app's oldest first); default: as many as `limit`. Whatever it chooses
   * and another worker claims first is left out of the result.
   */
  pick?: (candidates: readonly DeliveryEntity[]) => DeliveryEntity[];
  /**
   * Filled in: how many due deliveries were read, the apps found due (not excluded), and those
   * whose read was full (more of theirs may be due).
   */
  stats?: { candidates: number; apps: string[]; appsWithMore: string[] };
}

/** Apps whose due deliveries one claim reads at most. */
export const MAX_APPS_PER_CLAIM = 32;

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
   */
  async insertMany(deliveries: DeliveryEntity[]): Promise<Set<string>> {
    const duplicates = await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, { ordered: false, lean: true }),
      deliveries,
    );
    return new Set([...duplicates].map((index) => deliveries[index]!._id));
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
   * Claims due deliveries for one worker, fairly between apps (ADR 0008): it finds the apps with
   * due deliveries (one short covered read per app, on the `due_pending_by_app` index, from
   * `startAfterApp` on), reads each app's oldest due ones up to the app's room (the same index),
   * and claims what `pick` chooses in one update fenced on what was read. So another app's due
   * delivery is read in the next claim, however many deliveries of one app are due before it. A
   * delivery another worker claimed, or that was redelivered or settled in between, has another
   * `nextAttemptAt` by then and is left out, so of two workers racing for a delivery exactly one
   * gets it. Only when some were left out does a last read find out which.
   */
  async claimDue(request: ClaimRequest): Promise<DeliveryEntity[]> {
    const reads = await (request.oneRead === true
      ? this.readDueInOne(request)
      : this.readDuePerApp(request));
    const apps = reads.map((r) => r.appId);
    const read = interleave(reads.map((r) => r.read));
    if (request.stats !== undefined) {
      request.stats.candidates = read.length;
      request.stats.apps = apps;
      request.stats.appsWithMore = reads
        .filter((r) => r.wanted > 0 && r.read.length === r.wanted)
        .map((r) => r.appId);
    }
    const candidates = request.pick?.(read) ?? read.slice(0, request.limit);
    if (candidates.length === 0) return [];
    const ids = candidates.map((candidate) => candidate._id);
    const claim = { claimToken: request.claimToken, nextAttemptAt: request.leaseUntil };
    // Those no earlier attempt marked may start without another write (readyClaim, ADR 0010).
    const ready = new Set(candidates.filter(isUnmarked).map((candidate) => candidate._id));
    const fence = {
      status: 'pending' as const,
      nextAttemptAt: { $lte: request.now },
      $expr: {
        $eq: [
          '$nextAttemptAt',
          valueForId(
            ids,
            candidates.map((candidate) => candidate.nextAttemptAt),
          ),
        ],
      },
    };
    const groups = [
      { ids: ids.filter((id) => ready.has(id)), set: { ...claim, readyClaim: request.claimToken } },
      { ids: ids.filter((id) => !ready.has(id)), set: claim },
    ].filter((group) => group.ids.length > 0);
    const result = await this.collection.bulkWrite(
      groups.map((group) => ({
        updateMany: { filter: { _id: { $in: group.ids }, ...fence }, update: { $set: group.set } },
      })),
      { ordered: false },
    );
    if (result.modifiedCount === candidates.length) {
      return candidates.map((candidate) => ({
        ...candidate,
        ...claim,
        ...(ready.has(candidate._id) ? { readyClaim: request.claimToken } : {}),
      }));
    }
    return this.model
      .find({ _id: { $in: ids }, claimToken: request.claimToken })
      .lean<DeliveryEntity[]>()
      .exec();
  }

  /** Each app's oldest due deliveries, up to its room, apps found first (see claimDue). */
  private async readDuePerApp(request: ClaimRequest): Promise<AppRead[]> {
    const apps = await this.dueApps(request.now, request.startAfterApp, request.excludeAppIds);
    return Promise.all(
      apps.map(async (appId) => {
        const wanted = Math.min(request.limit, request.roomForApp?.(appId) ?? request.limit);
        if (wanted <= 0) return { appId, wanted, read: [] };
        const read = await this.collection
          .find(
            {
              status: 'pending',
              appId,
              nextAttemptAt: { $lte: request.now },
              ...notOfEndpoints(request.excludeEndpointIds),
            },
            { sort: { nextAttemptAt: 1 }, limit: wanted, hint: DUE_BY_APP_INDEX },
          )
          .toArray();
        return { appId, wanted, read };
      }),
    );
  }

  /** The due deliveries of every app not excluded, by app, in one read (see `oneRead`). */
  private async readDueInOne(request: ClaimRequest): Promise<AppRead[]> {
    const excluded = request.excludeAppIds ?? [];
    const read = await this.collection
      .find(
        {
          status: 'pending',
          ...(excluded.length === 0 ? {} : { appId: { $nin: [...excluded] } }),
          nextAttemptAt: { $lte: request.now },
          ...notOfEndpoints(request.excludeEndpointIds),
        },
        { sort: { appId: 1, nextAttemptAt: 1 }, limit: request.limit, hint: DUE_BY_APP_INDEX },
      )
      .toArray();
    const byApp = groupBy(read, (delivery) => delivery.appId);
    // Only the last app's read can have been cut short by the limit.
    const last = read.at(-1)?.appId;
    return [...byApp].map(([appId, list]) => ({
      appId,
      wanted: appId === last && read.length === request.limit ? list.length : list.length + 1,
      read: list,
    }));
  }

  /**
   * Up to MAX_APPS_PER_CLAIM apps with due deliveries, but not the `excluded` ones, in order of
   * id from after `startAfter`, wrapping around. One covered read per app, each skipping straight
   * to the next app's keys (and over the excluded apps' keys).
   */
  private async dueApps(
    now: Date,
    startAfter = '',
    excluded: readonly string[] = [],
  ): Promise<string[]> {
    const apps: string[] = [];
    const next = async (after: string, before?: string): Promise<string | undefined> => {
      const range = before === undefined ? { $gt: after } : { $gt: after, $lte: before };
      const [found] = await this.collection
        .find(
          {
            status: 'pending',
            appId: excluded.length === 0 ? range : { ...range, $nin: [...excluded] },
            nextAttemptAt: { $lte: now },
          },
          {
            projection: { _id: 0, appId: 1 },
            sort: { appId: 1 },
            limit: 1,
            hint: DUE_BY_APP_INDEX,
          },
        )
        .toArray();
      return found?.appId;
    };
    for (let after = startAfter; apps.length < MAX_APPS_PER_CLAIM;) {
      const appId = await next(after);
      if (appId === undefined) break;
      apps.push(appId);
      after = appId;
    }
    // Wrapped around: the apps up to and including startAfter.
    if (startAfter !== '') {
      for (let after = ''; apps.length < MAX_APPS_PER_CLAIM;) {
        const appId = await next(after, startAfter);
        if (appId === undefined) break;
        apps.push(appId);
        after = appId;
      }
    }
    return apps;
  }

  /**
   * Writes a batch of outcomes in one round trip, each fenced on its claim: a worker whose lease
   * expired (and whose delivery another worker took over) cannot overwrite the newer state. One
   * `updateMany` for the batch, each delivery getting its own values and matched only if it still
   * holds its own claim token (a batch holds outcomes of many claims: each intake batch is one); a
   * delivery two of whose claims ended in the batch is written by a second statement. A statement
   * per claim cost mongod half as much CPU again: 21 outcomes of 13 claims a batch, as at 200
   * messages a second, took 6.0-9.5 ms of its CPU against 3.8-6.3 ms, a third less in each of four
   * interleaved pairs (a script against the local MongoDB under wine).
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

  /**
   * Redelivery: the delivery, or every delivery of the message, whatever its status, starts a
   * fresh schedule now. Returns how many.
   */
  async reschedule(
    appId: string,
    target: { deliveryId: string } | { messageId: string },
    now: Date,
  ): Promise<number> {
    const filter: AppScoped<DeliveryEntity> =
      'deliveryId' in target
        ? { appId, _id: target.deliveryId }
        : { appId, messageId: target.messageId };
    const result = await this.model.updateMany(filter, freshScheduleUpdate(now)).exec();
    return result.matchedCount;
  }

  countFailedBetween(appId: string, endpointId: string, window: TimeWindow): Promise<number> {
    return this.model.countDocuments(failedBetween(appId, endpointId, window)).exec();
  }

  /**
   * Recovery: the endpoint's deliveries that ended `failed` in the window start a fresh schedule.
   * Returns how many, and their messages (whose statuses must be refreshed). The window must end
   * no later than `now`, so a delivery that fails again during the recovery is not taken twice.
   */
  async rescheduleFailedBetween(
    appId: string,
    endpointId: string,
    window: TimeWindow,
    now: Date,
  ): Promise<{ count: number; messageIds: string[] }> {
    const filter = failedBetween(appId, endpointId, window);
    const messageIds = new Set<string>();
    let count = 0;
    for (;;) {
      const batch = await this.model
        .find(filter, { _id: 1, messageId: 1 })
        .limit(RECOVER_BATCH)
        .lean<Pick<DeliveryEntity, '_id' | 'messageId'>[]>()
        .exec();
      if (batch.length === 0) break;
      const result = await this.model
        .updateMany({ ...filter, _id: { $in: batch.map((d) => d._id) } }, freshScheduleUpdate(now))
        .exec();
      count += result.modifiedCount;
      for (const delivery of batch) messageIds.add(delivery.messageId);
      if (batch.length < RECOVER_BATCH) break;
    }
    return { count, messageIds: [...messageIds] };
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

// Served by the { endpointId, status, updatedAt } index: a failed delivery's updatedAt is when it ended.
function failedBetween(
  appId: string,
  endpointId: string,
  window: TimeWindow,
): AppScoped<DeliveryEntity> {
  return {
    appId,
    endpointId,
    status: 'failed',
    updatedAt: { $gte: window.since, $lt: window.until },
  };
}

/** What a claim read of one app: `wanted` at most, so a full read means more may be due. */
interface AppRead {
  appId: string;
  wanted: number;
  read: DeliveryEntity[];
}

/** Neither marked started nor ready by an earlier claim (see DeliveryEntity.readyClaim). */
function isUnmarked(delivery: DeliveryEntity): boolean {
  return (delivery.attemptStartedAt ?? null) === null && (delivery.readyClaim ?? null) === null;
}

function notOfEndpoints(excluded: readonly string[] = []): object {
  return excluded.length === 0 ? {} : { endpointId: { $nin: [...excluded] } };
}

/** The first of each list, then the second of each, and so on. */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const longest = Math.max(0, ...lists.map((list) => list.length));
  const result: T[] = [];
  for (let i = 0; i < longest; i++) {
    for (const list of lists) if (i < list.length) result.push(list[i]!);
  }
  return result;
}

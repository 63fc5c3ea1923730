import { groupBy } from '@app/common';
import type { Model, mongo } from 'mongoose';
import { valueForId } from '../shared/per-document';
import type { DeliveryEntity } from './delivery.entity';
import { DUE_BY_APP_INDEX } from './delivery.schema';

/** What one claim asks for (DeliveryClaimRepository.claimDue). */
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

/**
 * The scheduler's claim of due deliveries (DeliveryRepository writes the rest of a delivery's
 * life): which apps have due deliveries, each app's oldest, and the fenced write that makes them
 * one worker's.
 */
export class DeliveryClaimRepository {
  constructor(private readonly model: Model<DeliveryEntity>) {}

  /** The driver's collection: the claim's values need no casting by mongoose. */
  private get collection(): mongo.Collection<DeliveryEntity> {
    return this.model.collection as unknown as mongo.Collection<DeliveryEntity>;
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

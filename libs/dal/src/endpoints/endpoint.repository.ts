import type { Model, mongo, UpdateQuery } from 'mongoose';
import { SecretBox } from '@app/common';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import type { EndpointEntity, EndpointSecret, HealthWrite } from './endpoint.entity';
import type { SecretRotationLimit } from './endpoint-secrets';

export interface EndpointHealthChange {
  endpointId: string;
  at: Date;
  succeeded: boolean;
  /** Set when the endpoint must be disabled (e.g. it answered 410 Gone). */
  disableReason?: string;
}

/**
 * How many outcome writers' last batches an endpoint remembers. A writer's mark is dropped only
 * after this many other writers have written the endpoint's health since: far more notifier
 * processes than write one endpoint within a retry (1 s).
 */
export const HEALTH_WRITES_KEPT = 32;

export class EndpointRepository {
  /**
   * @param box encrypts signing secrets at rest: written sealed, handed out open. Without one
   * (tools and tests that never see secrets) they are stored as given.
   */
  constructor(
    private readonly model: Model<EndpointEntity>,
    private readonly box?: SecretBox,
  ) {}

  async create(endpoint: EndpointEntity): Promise<void> {
    await this.model.create({ ...endpoint, secrets: this.sealed(endpoint.secrets) });
  }

  findById(appId: string, id: string): Promise<EndpointEntity | null> {
    return this.model.findOne({ _id: id, appId }).lean<EndpointEntity>().exec().then(this.openOne);
  }

  findManyOfApp(appId: string, ids: readonly string[]): Promise<EndpointEntity[]> {
    return this.model
      .find({ appId, _id: { $in: ids } })
      .lean<EndpointEntity[]>()
      .exec()
      .then(this.openMany);
  }

  findByRecipientTokenHash(recipientTokenHash: string): Promise<EndpointEntity | null> {
    return this.model
      .findOne({ recipientTokenHash })
      .lean<EndpointEntity>()
      .exec()
      .then(this.openOne);
  }

  async list(
    appId: string,
    page: PageRequest,
  ): Promise<{ items: EndpointEntity[]; nextCursor: string | null }> {
    const after =
      page.cursor === undefined ? {} : afterPosition('createdAt', decodeCursor(page.cursor), -1);
    const items = await this.model
      .find({ appId, ...after })
      .sort({ createdAt: -1, _id: -1 })
      .limit(page.limit + 1)
      .lean<EndpointEntity[]>()
      .exec();
    return paginate(this.openMany(items), page.limit, (endpoint) => endpoint.createdAt);
  }

  /** Intake fan-out: every endpoint of these apps (enabled or not: explicit endpointIds may name a disabled one). */
  findByApps(appIds: readonly string[]): Promise<EndpointEntity[]> {
    return this.model
      .find({ appId: { $in: appIds } })
      .lean<EndpointEntity[]>()
      .exec()
      .then(this.openMany);
  }

  /** Worker lookup for claimed deliveries, which already belong to their app. */
  findByIds(ids: readonly string[]): Promise<EndpointEntity[]> {
    return this.model
      .find({ _id: { $in: ids } })
      .lean<EndpointEntity[]>()
      .exec()
      .then(this.openMany);
  }

  update(
    appId: string,
    id: string,
    update: UpdateQuery<EndpointEntity>,
  ): Promise<EndpointEntity | null> {
    return this.model
      .findOneAndUpdate({ _id: id, appId }, update, { new: true })
      .lean<EndpointEntity>()
      .exec()
      .then(this.openOne);
  }

  /**
   * Replaces the signing secrets, provided the current one is still `expectedCurrent` and the
   * endpoint made fewer than `limit.max` rotations within `limit.windowMs`: of two rotations at
   * once, one wins and the other finds nothing to update (null), and so does a rotation over the
   * limit. The check and the write are one atomic update, whichever API process makes it.
   */
  replaceSecrets(
    appId: string,
    id: string,
    expectedCurrent: string,
    secrets: EndpointEntity['secrets'],
    now: Date,
    limit: SecretRotationLimit,
  ): Promise<EndpointEntity | null> {
    const windowStart = new Date(now.getTime() - limit.windowMs);
    return this.model
      .findOneAndUpdate(
        // A secret stored before encryption is still stored as it was given.
        {
          _id: id,
          appId,
          'secrets.0.secret': { $in: [this.seal(expectedCurrent), expectedCurrent] },
          // The max-th newest rotation is absent or out of the window.
          [`secretRotations.${limit.max - 1}`]: { $not: { $gt: windowStart } },
        },
        {
          $set: { secrets: this.sealed(secrets), updatedAt: now },
          $push: { secretRotations: { $each: [now], $position: 0, $slice: limit.max } },
        },
        { new: true },
      )
      .lean<EndpointEntity>()
      .exec()
      .then(this.openOne);
  }

  private seal(secret: string): string {
    return this.box === undefined ? secret : this.box.seal(secret);
  }

  private sealed(secrets: readonly EndpointSecret[]): EndpointSecret[] {
    return secrets.map((entry) => ({ ...entry, secret: this.seal(entry.secret) }));
  }

  private readonly openMany = (endpoints: EndpointEntity[]): EndpointEntity[] =>
    endpoints.map((endpoint) => this.open(endpoint));

  private readonly openOne = (endpoint: EndpointEntity | null): EndpointEntity | null =>
    endpoint === null ? null : this.open(endpoint);

  private open(endpoint: EndpointEntity): EndpointEntity {
    const box = this.box;
    if (box === undefined || !endpoint.secrets?.some((s) => SecretBox.isSealed(s.secret))) {
      return endpoint;
    }
    return {
      ...endpoint,
      secrets: endpoint.secrets.map((entry) => ({ ...entry, secret: box.open(entry.secret) })),
    };
  }

  /** The endpoints quota: how many endpoints the app has. */
  countOfApp(appId: string): Promise<number> {
    return this.model.countDocuments({ appId }).exec();
  }

  /**
   * How many of the app's endpoints were created before this one ((createdAt, _id) order): of
   * endpoints created at once, the earliest ones are within the quota, whatever order the
   * requests end in.
   */
  countOfAppBefore(appId: string, endpoint: Pick<EndpointEntity, '_id' | 'createdAt'>) {
    return this.model
      .countDocuments({
        appId,
        $or: [
          { createdAt: { $lt: endpoint.createdAt } },
          { createdAt: endpoint.createdAt, _id: { $lt: endpoint._id } },
        ],
      })
      .exec();
  }

  async delete(appId: string, id: string): Promise<boolean> {
    const result = await this.model.deleteOne({ _id: id, appId }).exec();
    return result.deletedCount === 1;
  }

  /**
   * One update per endpoint, however many of its outcomes the batch holds, applied once per
   * batch: each update is fenced on the endpoint not having taken this writer's batch (or a later
   * one) yet, and records it in healthWrites in the same atomic write. So a batch written again
   * after a partial write (its attempt log failed, or the acknowledgement was lost) does not count
   * its failures twice, which would open the circuit early. A writer must write its batches in
   * order and write a failed batch again exactly as it was.
   */
  async recordHealth(changes: readonly EndpointHealthChange[], write: HealthWrite): Promise<void> {
    if (changes.length === 0) return;
    const byEndpoint = new Map<string, EndpointHealthChange[]>();
    for (const change of changes) {
      const group = byEndpoint.get(change.endpointId);
      if (group === undefined) byEndpoint.set(change.endpointId, [change]);
      else group.push(change);
    }
    const collection = this.model.collection as unknown as mongo.Collection<EndpointEntity>;
    await collection.bulkWrite(
      [...byEndpoint].map(([endpointId, group]) => ({
        updateOne: {
          filter: {
            _id: endpointId,
            healthWrites: {
              $not: { $elemMatch: { writer: write.writer, batch: { $gte: write.batch } } },
            },
          },
          update: [...asPipeline(healthUpdate(group)), rememberWrite(write)],
        },
      })),
      { ordered: false },
    );
  }
}

/** An update of $set, $inc, $min and $unset as the equivalent update pipeline. */
function asPipeline(update: UpdateQuery<EndpointEntity>): mongo.Document[] {
  const set: Record<string, unknown> = {};
  const entries = (operator: unknown) =>
    Object.entries((operator ?? {}) as Record<string, unknown>);
  for (const [field, value] of entries(update.$set)) set[field] = { $literal: value };
  for (const [field, by] of entries(update.$inc)) {
    set[field] = { $add: [{ $ifNull: [`$${field}`, 0] }, by] };
  }
  // $min over a missing field is the other value, as with the update operator.
  for (const [field, value] of entries(update.$min)) {
    set[field] = { $min: [`$${field}`, { $literal: value }] };
  }
  const unset = Object.keys(update.$unset ?? {});
  return [
    ...(Object.keys(set).length > 0 ? [{ $set: set }] : []),
    ...(unset.length > 0 ? [{ $unset: unset }] : []),
  ];
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

/**
 * The update that one endpoint's outcomes make, as if applied one by one in time order: a success
 * resets consecutiveFailures, each failure after it counts one, a 410 disables the endpoint.
 */
export function healthUpdate(
  changes: readonly EndpointHealthChange[],
): UpdateQuery<EndpointEntity> {
  const ordered = [...changes].sort((a, b) => a.at.getTime() - b.at.getTime());
  const lastSuccess = ordered.findLastIndex((change) => change.succeeded);
  const lastFailure = ordered.findLast((change) => !change.succeeded);
  const disabling = ordered.findLast((change) => change.disableReason !== undefined);
  const $set: Partial<EndpointEntity> = {};
  if (lastSuccess >= 0) {
    $set.lastSuccessAt = ordered[lastSuccess]!.at;
    $set.consecutiveFailures = ordered.length - 1 - lastSuccess;
  }
  if (lastFailure !== undefined) $set.lastFailureAt = lastFailure.at;
  if (disabling !== undefined) {
    $set.enabled = false;
    $set.disabledReason = disabling.disableReason;
    $set.updatedAt = disabling.at;
  }
  if (lastSuccess < 0) {
    // $min keeps the start of a streak already running, and starts one otherwise.
    return {
      $set,
      $inc: { consecutiveFailures: ordered.length },
      $min: { failingSince: ordered[0]!.at },
    };
  }
  // A success closes the circuit (docs/operations.md); failures after it start a new streak.
  const $unset: Record<string, ''> = {
    circuitOpenUntil: '',
    circuitOpenings: '',
    circuitProbing: '',
  };
  const streakStart = ordered[lastSuccess + 1];
  if (streakStart === undefined) $unset.failingSince = '';
  else $set.failingSince = streakStart.at;
  return { $set, $unset };
}

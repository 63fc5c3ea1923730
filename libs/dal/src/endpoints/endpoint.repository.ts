import type { Model, UpdateQuery } from 'mongoose';
import { SecretBox } from '@app/common';
import type { FollowedTail } from '../shared/change-log';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import { isDuplicateKeyOn } from '../shared/mongo-errors';
import type { PageRequest } from '../shared/tenant';
import type { EndpointEntity, EndpointSecret } from './endpoint.entity';
import {
  recordEndpointChanges,
  watchEndpointChanges,
  type EndpointChangeListener,
} from './endpoint-changes';
import type { SecretRotationLimit } from './endpoint-secrets';

/** What an app changes on its endpoint: a field given is set, an optional one given as null removed. */
export type EndpointSettingsChange = Partial<
  Pick<
    EndpointEntity,
    | 'url'
    | 'to'
    | 'eventTypes'
    | 'timeoutMs'
    | 'headers'
    | 'enabled'
    | 'ordered'
    | 'orderedBlockOnFailure'
  >
> & {
  [
    K in
      | 'retrySchedule'
      | 'successBody'
      | 'rateLimitPerSecond'
      | 'template'
      | 'fallbackEndpointId'
      | 'description'
  ]?: EndpointEntity[K] | null;
};

/** The health an endpoint starts over with: no failure streak, no circuit, no reason to be off. */
const FRESH_HEALTH_UNSET = {
  disabledReason: '',
  failingSince: '',
  circuitOpenUntil: '',
  circuitOpenings: '',
  circuitProbing: '',
} as const;

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
    await this.changed(endpoint.appId, endpoint._id);
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

  /** From a secondary while there is no primary, as AppRepository.findByApiKeyHash. */
  findByRecipientTokenHash(recipientTokenHash: string): Promise<EndpointEntity | null> {
    return this.model
      .findOne({ recipientTokenHash })
      .read('primaryPreferred')
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

  /** Reports endpoint changes as they happen (see watchEndpointChanges). */
  watchChanges(listener: EndpointChangeListener): FollowedTail {
    return watchEndpointChanges(this.model, listener);
  }

  /** Worker lookup for claimed deliveries, which already belong to their app. */
  findByIds(ids: readonly string[]): Promise<EndpointEntity[]> {
    return this.model
      .find({ _id: { $in: ids } })
      .lean<EndpointEntity[]>()
      .exec()
      .then(this.openMany);
  }

  /**
   * Applies an app's change of settings at `now`; with `freshHealth`, the endpoint also starts its
   * health over (no failure streak, no circuit, no disabled reason). Null when there is no such
   * endpoint.
   */
  updateSettings(
    appId: string,
    id: string,
    change: EndpointSettingsChange,
    { now, freshHealth }: { now: Date; freshHealth: boolean },
  ): Promise<EndpointEntity | null> {
    const $set: Record<string, unknown> = { updatedAt: now };
    const $unset: Record<string, ''> = freshHealth ? { ...FRESH_HEALTH_UNSET } : {};
    for (const [field, value] of Object.entries(change)) {
      if (value === null) $unset[field] = '';
      else if (value !== undefined) $set[field] = value;
    }
    if (freshHealth) $set.consecutiveFailures = 0;
    return this.updateOne(appId, id, { $set, $unset });
  }

  /** A new inbox credential: the previous one stops working at once. Null when there is no such endpoint. */
  replaceRecipientToken(
    appId: string,
    id: string,
    recipientTokenHash: string,
    now: Date,
  ): Promise<EndpointEntity | null> {
    return this.updateOne(appId, id, { $set: { recipientTokenHash, updatedAt: now } });
  }

  private async updateOne(
    appId: string,
    id: string,
    update: UpdateQuery<EndpointEntity>,
  ): Promise<EndpointEntity | null> {
    const updated = await this.model
      .findOneAndUpdate({ _id: id, appId }, update, { new: true })
      .lean<EndpointEntity>()
      .exec();
    if (updated !== null) await this.changed(appId, id);
    return this.openOne(updated);
  }

  /** Every process that holds the app's endpoints drops them (see ChangeLog). */
  private changed(appId: string, id: string): Promise<void> {
    return recordEndpointChanges(this.model, [{ endpointId: id, appId }]);
  }

  /**
   * Replaces the signing secrets, provided the current one is still `expectedCurrent` and the
   * endpoint made fewer than `limit.max` rotations within `limit.windowMs`: of two rotations at
   * once, one wins and the other finds nothing to update (null), and so does a rotation over the
   * limit. The check and the write are one atomic update, whichever API process makes it.
   */
  async replaceSecrets(
    appId: string,
    id: string,
    expectedCurrent: string,
    secrets: EndpointEntity['secrets'],
    now: Date,
    limit: SecretRotationLimit,
  ): Promise<EndpointEntity | null> {
    const windowStart = new Date(now.getTime() - limit.windowMs);
    const replaced = await this.model
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
      .exec();
    if (replaced !== null) await this.changed(appId, id);
    return this.openOne(replaced);
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
   * Creates the endpoint unless the app has `quota` endpoints already; false if it has. Atomic
   * for requests at once: each endpoint takes a free quota place (0..quota-1, fewer the endpoints
   * from before places, which hold none), and the unique index `quota_place` gives a place to one
   * endpoint of the app only; a request that lost its place to another tries the next free one.
   * Deleting an endpoint frees its place.
   */
  async createWithinQuota(endpoint: EndpointEntity, quota: number): Promise<boolean> {
    for (let tries = 0; tries <= quota; tries += 1) {
      const held = await this.model
        .find({ appId: endpoint.appId }, { _id: 0, quotaPlace: 1 })
        .lean<Pick<EndpointEntity, 'quotaPlace'>[]>()
        .exec();
      const taken = new Set(held.flatMap((other) => other.quotaPlace ?? []));
      const places = quota - held.filter((other) => other.quotaPlace === undefined).length;
      const free = Array.from({ length: Math.max(0, places) }, (_, place) => place).find(
        (place) => !taken.has(place),
      );
      if (free === undefined) return false;
      try {
        await this.create({ ...endpoint, quotaPlace: free });
        return true;
      } catch (error) {
        if (!isDuplicateKeyOn(error, 'quotaPlace')) throw error;
      }
    }
    return false;
  }

  async delete(appId: string, id: string): Promise<boolean> {
    const result = await this.model.deleteOne({ _id: id, appId }).exec();
    if (result.deletedCount !== 1) return false;
    await this.changed(appId, id);
    return true;
  }
}

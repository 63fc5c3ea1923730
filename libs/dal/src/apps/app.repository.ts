import type { AppQuotas } from '@app/contracts';
import type { Model } from 'mongoose';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import type { AppEntity } from './app.entity';

/** What an admin changes on an app: a setting given is set, one given as null goes back to the default. */
export interface AppSettingsChange {
  /** Null: every quota back to the environment's default. */
  quotas?: { [K in keyof AppQuotas]?: AppQuotas[K] | null } | null;
  brokerUser?: string | null;
  requireRegisteredEventTypes?: boolean;
}

/** What the hot paths read of an app's settings (AppQuotaReader). */
export type AppLimits = Pick<AppEntity, 'quotas' | 'requireRegisteredEventTypes'>;

export class AppRepository {
  constructor(private readonly model: Model<AppEntity>) {}

  async create(app: AppEntity): Promise<void> {
    await this.model.create(app);
  }

  findById(id: string): Promise<AppEntity | null> {
    return this.model.findById(id).lean<AppEntity>().exec();
  }

  /** The quotas and event-type rule an admin set for each of these apps (absent: no such app). */
  async findLimits(ids: readonly string[]): Promise<Map<string, AppLimits>> {
    const found = await this.model
      .find({ _id: { $in: ids } }, { quotas: 1, requireRegisteredEventTypes: 1 })
      .lean<(AppLimits & { _id: string })[]>()
      .exec();
    return new Map(found.map(({ _id, ...limits }) => [_id, limits]));
  }

  /** Applies an admin's change of the app's settings (the app as it is when nothing changes). Null when there is no such app. */
  updateSettings(id: string, change: AppSettingsChange): Promise<AppEntity | null> {
    const $set: Record<string, unknown> = {};
    const $unset: Record<string, ''> = {};
    if (change.quotas === null) $unset.quotas = '';
    for (const [name, value] of Object.entries(change.quotas ?? {})) {
      if (value === null) $unset[`quotas.${name}`] = '';
      else if (value !== undefined) $set[`quotas.${name}`] = value;
    }
    if (change.brokerUser === null) $unset.brokerUser = '';
    else if (change.brokerUser !== undefined) $set.brokerUser = change.brokerUser;
    if (change.requireRegisteredEventTypes !== undefined)
      $set.requireRegisteredEventTypes = change.requireRegisteredEventTypes;
    if (Object.keys($set).length + Object.keys($unset).length === 0) return this.findById(id);
    return this.model
      .findByIdAndUpdate(id, { $set, $unset }, { new: true })
      .lean<AppEntity>()
      .exec();
  }

  /** The app whose current key, or whose previous key still in its grace period at `now`, this is. */
  findByApiKeyHash(apiKeyHash: string, now: Date): Promise<AppEntity | null> {
    return this.model
      .findOne({
        $or: [
          { apiKeyHash },
          { previousApiKeyHash: apiKeyHash, previousApiKeyExpiresAt: { $gt: now } },
        ],
      })
      .lean<AppEntity>()
      .exec();
  }

  /**
   * Gives the app a new key hash in one atomic update; null when there is no such app. The key it
   * replaces stays valid until `previousExpiresAt`, or not at all without one; a key replaced
   * earlier is dropped either way: two keys are valid at most. Two rotations at once are applied
   * one after the other, so the second one's old key is the first one's new key.
   */
  rotateApiKey(
    id: string,
    apiKeyHash: string,
    previousExpiresAt: Date | undefined,
  ): Promise<AppEntity | null> {
    const previous =
      previousExpiresAt === undefined
        ? { previousApiKeyHash: '$$REMOVE', previousApiKeyExpiresAt: '$$REMOVE' }
        : { previousApiKeyHash: '$apiKeyHash', previousApiKeyExpiresAt: previousExpiresAt };
    return this.model
      .findOneAndUpdate({ _id: id }, [{ $set: { ...previous, apiKeyHash } }], { new: true })
      .lean<AppEntity>()
      .exec();
  }

  async findExistingIds(ids: readonly string[]): Promise<Set<string>> {
    const found = await this.model
      .find({ _id: { $in: ids } }, { _id: 1 })
      .lean<Pick<AppEntity, '_id'>[]>()
      .exec();
    return new Set(found.map((app) => app._id));
  }

  /** Each app's brokerUser binding (undefined: not bound); apps not found are left out. */
  async findBrokerUsers(ids: readonly string[]): Promise<Map<string, string | undefined>> {
    const found = await this.model
      .find({ _id: { $in: ids } }, { _id: 1, brokerUser: 1 })
      .lean<Pick<AppEntity, '_id' | 'brokerUser'>[]>()
      .exec();
    return new Map(found.map((app) => [app._id, app.brokerUser ?? undefined]));
  }

  async list(page: PageRequest): Promise<{ items: AppEntity[]; nextCursor: string | null }> {
    const filter =
      page.cursor === undefined ? {} : afterPosition('createdAt', decodeCursor(page.cursor), -1);
    const items = await this.model
      .find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .limit(page.limit + 1)
      .lean<AppEntity[]>()
      .exec();
    return paginate(items, page.limit, (app) => app.createdAt);
  }
}

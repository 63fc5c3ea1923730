import type { Model } from 'mongoose';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import type { AppEntity } from './app.entity';

export class AppRepository {
  constructor(private readonly model: Model<AppEntity>) {}

  async create(app: AppEntity): Promise<void> {
    await this.model.create(app);
  }

  findByApiKeyHash(apiKeyHash: string): Promise<AppEntity | null> {
    return this.model.findOne({ apiKeyHash }).lean<AppEntity>().exec();
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

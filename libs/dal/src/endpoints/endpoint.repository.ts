import type { Model, UpdateQuery } from 'mongoose';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import type { EndpointEntity } from './endpoint.entity';

export interface EndpointHealthChange {
  endpointId: string;
  at: Date;
  succeeded: boolean;
  /** Set when the endpoint must be disabled (e.g. it answered 410 Gone). */
  disableReason?: string;
}

export class EndpointRepository {
  constructor(private readonly model: Model<EndpointEntity>) {}

  async create(endpoint: EndpointEntity): Promise<void> {
    await this.model.create(endpoint);
  }

  findById(appId: string, id: string): Promise<EndpointEntity | null> {
    return this.model.findOne({ _id: id, appId }).lean<EndpointEntity>().exec();
  }

  findManyOfApp(appId: string, ids: readonly string[]): Promise<EndpointEntity[]> {
    return this.model
      .find({ appId, _id: { $in: ids } })
      .lean<EndpointEntity[]>()
      .exec();
  }

  findByRecipientTokenHash(recipientTokenHash: string): Promise<EndpointEntity | null> {
    return this.model.findOne({ recipientTokenHash }).lean<EndpointEntity>().exec();
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
    return paginate(items, page.limit, (endpoint) => endpoint.createdAt);
  }

  /** Intake fan-out: every endpoint of these apps (enabled or not: explicit endpointIds may name a disabled one). */
  findByApps(appIds: readonly string[]): Promise<EndpointEntity[]> {
    return this.model
      .find({ appId: { $in: appIds } })
      .lean<EndpointEntity[]>()
      .exec();
  }

  /** Worker lookup for claimed deliveries, which already belong to their app. */
  findByIds(ids: readonly string[]): Promise<EndpointEntity[]> {
    return this.model
      .find({ _id: { $in: ids } })
      .lean<EndpointEntity[]>()
      .exec();
  }

  update(
    appId: string,
    id: string,
    update: UpdateQuery<EndpointEntity>,
  ): Promise<EndpointEntity | null> {
    return this.model
      .findOneAndUpdate({ _id: id, appId }, update, { new: true })
      .lean<EndpointEntity>()
      .exec();
  }

  async delete(appId: string, id: string): Promise<boolean> {
    const result = await this.model.deleteOne({ _id: id, appId }).exec();
    return result.deletedCount === 1;
  }

  /** One bulk write for a batch of attempt outcomes. */
  async recordHealth(changes: readonly EndpointHealthChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.model.bulkWrite(
      changes.map((change) => ({
        updateOne: {
          filter: { _id: change.endpointId },
          update: change.succeeded
            ? { $set: { consecutiveFailures: 0, lastSuccessAt: change.at } }
            : {
                $inc: { consecutiveFailures: 1 },
                $set: {
                  lastFailureAt: change.at,
                  ...(change.disableReason === undefined
                    ? {}
                    : {
                        enabled: false,
                        disabledReason: change.disableReason,
                        updatedAt: change.at,
                      }),
                },
              },
        },
      })),
      { ordered: false },
    );
  }
}

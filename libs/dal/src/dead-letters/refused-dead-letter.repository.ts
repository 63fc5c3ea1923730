import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import type { RefusedDeadLetterEntity } from './refused-dead-letter.entity';

export class RefusedDeadLetterRepository {
  constructor(private readonly model: Model<RefusedDeadLetterEntity>) {}

  async record(entry: Omit<RefusedDeadLetterEntity, '_id'>): Promise<void> {
    await this.model.create({ _id: `rdl_${randomUUID().replaceAll('-', '')}`, ...entry });
  }

  /** Newest first. Not an app's resource: only the admin key reads it. */
  async list(
    page: PageRequest,
  ): Promise<{ items: RefusedDeadLetterEntity[]; nextCursor: string | null }> {
    const filter =
      page.cursor === undefined ? {} : afterPosition('refusedAt', decodeCursor(page.cursor), -1);
    const items = await this.model
      .find(filter)
      .sort({ refusedAt: -1, _id: -1 })
      .limit(page.limit + 1)
      .lean<RefusedDeadLetterEntity[]>()
      .exec();
    return paginate(items, page.limit, (entry) => entry.refusedAt);
  }
}

import type { Model } from 'mongoose';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import { afterPosition, decodeCursor, paginate } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import type { AttemptEntity } from './attempt.entity';

export class AttemptRepository {
  constructor(private readonly model: Model<AttemptEntity>) {}

  /** Ignores attempts already written: a batch retried after a failed write is not doubled. */
  async insertMany(attempts: AttemptEntity[]): Promise<void> {
    await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, { ordered: false, lean: true }),
      attempts,
    );
  }

  async listByMessage(
    appId: string,
    messageId: string,
    page: PageRequest,
  ): Promise<{ items: AttemptEntity[]; nextCursor: string | null }> {
    const after =
      page.cursor === undefined ? {} : afterPosition('startedAt', decodeCursor(page.cursor), 1);
    const items = await this.model
      .find({ appId, messageId, ...after })
      .sort({ startedAt: 1, _id: 1 })
      .limit(page.limit + 1)
      .lean<AttemptEntity[]>()
      .exec();
    return paginate(items, page.limit, (attempt) => attempt.startedAt);
  }
}

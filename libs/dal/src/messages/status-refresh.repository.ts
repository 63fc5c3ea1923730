import type { Model } from 'mongoose';
import type { StatusRefreshEntity } from './status-refresh.entity';

/** The status refreshes owed: see StatusRefreshEntity. */
export class StatusRefreshRepository {
  constructor(private readonly model: Model<StatusRefreshEntity>) {}

  /**
   * Writes the entry down now, before the outcomes that end its messages' deliveries: a notifier
   * that dies after them leaves it for the repair. Written again with its batch, it is only
   * dated again, so that the repair does not take it while the batch is being retried.
   */
  async owe(
    entry: Pick<StatusRefreshEntity, '_id' | 'messageIds'>,
    now: Date,
  ): Promise<StatusRefreshEntity> {
    await this.model
      .updateOne(
        { _id: entry._id },
        { $set: { messageIds: entry.messageIds, writtenAt: now } },
        { upsert: true },
      )
      .exec();
    return { ...entry, writtenAt: now };
  }

  /**
   * Removes entries whose messages' statuses were recomputed, each only if it was not written
   * again since it was read (its batch retried meanwhile: its outcomes may have landed after).
   */
  async settle(entries: readonly StatusRefreshEntity[]): Promise<void> {
    if (entries.length === 0) return;
    await this.model.bulkWrite(
      entries.map((entry) => ({
        deleteOne: { filter: { _id: entry._id, writtenAt: entry.writtenAt } },
      })),
      { ordered: false },
    );
  }

  /** Entries last written before `writtenBefore`, oldest first: what stopped notifiers left. */
  findLeftBefore(writtenBefore: Date, limit: number): Promise<StatusRefreshEntity[]> {
    return this.model
      .find({ writtenAt: { $lt: writtenBefore } })
      .sort({ writtenAt: 1 })
      .limit(limit)
      .lean<StatusRefreshEntity[]>()
      .exec();
  }
}

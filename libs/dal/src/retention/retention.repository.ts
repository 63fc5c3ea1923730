import { ENDED_MESSAGE_STATUSES, OPEN_DELIVERY_STATUSES } from '@app/contracts';
import type { Model } from 'mongoose';
import type { AttemptEntity } from '../attempts/attempt.entity';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import type { MessageEntity } from '../messages/message.entity';
import { afterPosition, type CursorPosition } from '../shared/cursor';

export interface RetentionBatch {
  /** Ended messages older than the cutoff that this batch looked at. */
  scanned: number;
  removed: number;
  /** Where the next batch starts; undefined when this one was the last. */
  next?: CursorPosition;
}

/**
 * RETENTION: ended messages older than a cutoff are removed with their deliveries (which are the
 * inbox's items too) and attempts, a bounded batch at a time, oldest first. A message is kept
 * while any of its deliveries is pending or changed since the cutoff (a redelivery, a fallback),
 * whatever its status says.
 */
export class RetentionRepository {
  constructor(
    private readonly messages: Model<MessageEntity>,
    private readonly deliveries: Model<DeliveryEntity>,
    private readonly attempts: Model<AttemptEntity>,
  ) {}

  /**
   * One batch of at most `limit` messages after `after`. Attempts go first, then deliveries,
   * then the message: a sweep cut short leaves an ended message that the next one finishes.
   */
  async removeEnded(cutoff: Date, limit: number, after?: CursorPosition): Promise<RetentionBatch> {
    const candidates = await this.messages
      .find(
        {
          status: { $in: ENDED_MESSAGE_STATUSES },
          createdAt: { $lt: cutoff },
          ...(after === undefined ? {} : afterPosition('createdAt', after, 1)),
        },
        { _id: 1, createdAt: 1 },
      )
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .lean<Pick<MessageEntity, '_id' | 'createdAt'>[]>()
      .exec();
    if (candidates.length === 0) return { scanned: 0, removed: 0 };
    const ids = candidates.map((message) => message._id);
    const busy = new Set(
      await this.deliveries
        .distinct<string>('messageId', {
          messageId: { $in: ids },
          $or: [{ status: { $in: [...OPEN_DELIVERY_STATUSES] } }, { updatedAt: { $gte: cutoff } }],
        })
        .exec(),
    );
    const removable = ids.filter((id) => !busy.has(id));
    let removed = 0;
    if (removable.length > 0) {
      await this.attempts.deleteMany({ messageId: { $in: removable } }).exec();
      await this.deliveries
        .deleteMany({
          messageId: { $in: removable },
          status: { $nin: [...OPEN_DELIVERY_STATUSES] },
        })
        .exec();
      const result = await this.messages
        .deleteMany({ _id: { $in: removable }, status: { $in: ENDED_MESSAGE_STATUSES } })
        .exec();
      removed = result.deletedCount;
    }
    const last = candidates[candidates.length - 1]!;
    return {
      scanned: candidates.length,
      removed,
      ...(candidates.length < limit ? {} : { next: { at: last.createdAt, id: last._id } }),
    };
  }
}

import type { DeliveryStatus, MessageStatus } from '@app/contracts';
import type { Model } from 'mongoose';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import type { MessageEntity } from './message.entity';

export function messageStatusOf(counts: Partial<Record<DeliveryStatus, number>>): MessageStatus {
  if ((counts.pending ?? 0) > 0) return 'pending';
  if ((counts.failed ?? 0) > 0) return 'failed';
  if ((counts.succeeded ?? 0) > 0 || (counts.cancelled ?? 0) > 0) return 'delivered';
  return 'no_endpoints';
}

export class MessageRepository {
  constructor(
    private readonly model: Model<MessageEntity>,
    private readonly deliveries: Model<DeliveryEntity>,
  ) {}

  /** Returns the ids that were already stored (a replayed or duplicate message). */
  async insertMany(messages: MessageEntity[]): Promise<Set<string>> {
    const duplicates = await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, { ordered: false, lean: true }),
      messages,
    );
    return new Set([...duplicates].map((index) => messages[index]!._id));
  }

  findById(appId: string, id: string): Promise<MessageEntity | null> {
    return this.model.findOne({ _id: id, appId }).lean<MessageEntity>().exec();
  }

  /** A duplicate idempotency key that reached us without our derived id (AMQP messageId). */
  findByIdempotencyKeys(
    keys: readonly { appId: string; idempotencyKey: string }[],
  ): Promise<MessageEntity[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.model
      .find({ $or: keys.map((key) => ({ appId: key.appId, idempotencyKey: key.idempotencyKey })) })
      .lean<MessageEntity[]>()
      .exec();
  }

  findByIds(ids: readonly string[]): Promise<MessageEntity[]> {
    return this.model
      .find({ _id: { $in: ids } })
      .lean<MessageEntity[]>()
      .exec();
  }

  /** Recomputes each message's status from its deliveries, after some of them changed. */
  async refreshStatus(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    const groups = await this.deliveries
      .aggregate<{ _id: { messageId: string; status: DeliveryStatus }; n: number }>([
        { $match: { messageId: { $in: messageIds } } },
        { $group: { _id: { messageId: '$messageId', status: '$status' }, n: { $sum: 1 } } },
      ])
      .exec();
    const counts = new Map<string, Partial<Record<DeliveryStatus, number>>>(
      messageIds.map((id) => [id, {}]),
    );
    for (const group of groups) counts.get(group._id.messageId)![group._id.status] = group.n;
    await this.model.bulkWrite(
      [...counts].map(([id, byStatus]) => ({
        updateOne: { filter: { _id: id }, update: { $set: { status: messageStatusOf(byStatus) } } },
      })),
      { ordered: false },
    );
  }
}

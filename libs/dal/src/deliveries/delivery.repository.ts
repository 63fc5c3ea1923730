import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import type { DeliveryEntity } from './delivery.entity';

export interface ClaimRequest {
  now: Date;
  limit: number;
  leaseUntil: Date;
  claimToken: string;
}

/** The state a finished attempt leaves its delivery in. */
export type DeliveryUpdate = Pick<
  DeliveryEntity,
  'status' | 'attemptCount' | 'nextAttemptAt' | 'lastAttemptAt' | 'lastError' | 'deliveredAt'
> & { updatedAt: Date };

export class DeliveryRepository {
  constructor(private readonly model: Model<DeliveryEntity>) {}

  async insertMany(deliveries: DeliveryEntity[]): Promise<void> {
    await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, { ordered: false, lean: true }),
      deliveries,
    );
  }

  findByMessage(appId: string, messageId: string): Promise<DeliveryEntity[]> {
    return this.model
      .find({ appId, messageId })
      .sort({ createdAt: 1, _id: 1 })
      .lean<DeliveryEntity[]>()
      .exec();
  }

  /**
   * Claims up to `limit` due deliveries for one worker. The update re-checks the due condition, so
   * of two workers racing for a delivery exactly one gets it; the loser's read simply skips it.
   */
  async claimDue(request: ClaimRequest): Promise<DeliveryEntity[]> {
    const due = { status: 'pending', nextAttemptAt: { $lte: request.now } } as const;
    const candidates = await this.model
      .find(due, { _id: 1 })
      .sort({ nextAttemptAt: 1 })
      .limit(request.limit)
      .lean<Pick<DeliveryEntity, '_id'>[]>()
      .exec();
    if (candidates.length === 0) return [];
    const ids = candidates.map((candidate) => candidate._id);
    await this.model
      .updateMany(
        { _id: { $in: ids }, ...due },
        { $set: { claimToken: request.claimToken, nextAttemptAt: request.leaseUntil } },
      )
      .exec();
    return this.model
      .find({ _id: { $in: ids }, claimToken: request.claimToken })
      .lean<DeliveryEntity[]>()
      .exec();
  }

  /**
   * Writes a batch of outcomes in one round trip, each fenced on its claim: a worker whose lease
   * expired (and whose delivery another worker took over) cannot overwrite the newer state.
   */
  async recordOutcomes(
    outcomes: readonly { deliveryId: string; claimToken: string; update: DeliveryUpdate }[],
  ): Promise<void> {
    if (outcomes.length === 0) return;
    const operations: AnyBulkWriteOperation<DeliveryEntity>[] = outcomes.map((outcome) => ({
      updateOne: {
        filter: { _id: outcome.deliveryId, claimToken: outcome.claimToken },
        update: { $set: { ...outcome.update, claimToken: null } },
      },
    }));
    await this.model.bulkWrite(operations, { ordered: false });
  }

  /** Hands claimed but unattempted deliveries back (graceful shutdown): due again now. */
  async release(deliveryIds: readonly string[], claimToken: string, now: Date): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.model
      .updateMany(
        { _id: { $in: deliveryIds }, claimToken, status: 'pending' },
        { $set: { claimToken: null, nextAttemptAt: now } },
      )
      .exec();
  }

  /** Cancels an endpoint's pending deliveries; returns the messages they belong to. */
  async cancelPendingForEndpoint(appId: string, endpointId: string, now: Date): Promise<string[]> {
    const filter = { appId, endpointId, status: 'pending' } as const;
    const messageIds: string[] = await this.model.distinct('messageId', filter).exec();
    await this.model
      .updateMany(filter, {
        $set: { status: 'cancelled', nextAttemptAt: null, claimToken: null, updatedAt: now },
      })
      .exec();
    return messageIds;
  }

  /** Due pending deliveries nobody has claimed yet: the backlog. */
  countDue(now: Date): Promise<number> {
    return this.model.countDocuments({ status: 'pending', nextAttemptAt: { $lte: now } }).exec();
  }
}

import type { DeliveryStatus } from '@app/contracts';
import type { Model, UpdateQuery } from 'mongoose';
import type { DeliveryEntity } from '../deliveries/delivery.entity';
import { isDuplicateKey } from '../shared/mongo-errors';
import type { InboxSequenceEntity } from './inbox-sequence.schema';

/** An inbox reader: one endpoint of one app. */
export interface InboxOwner {
  appId: string;
  endpointId: string;
}

export interface InboxPageRequest {
  /** The last position the reader has seen; 0 for the start. */
  afterSeq: number;
  limit: number;
  status?: DeliveryStatus;
  /** Only deliveries created (the message stored for this endpoint) at or after this time. */
  since?: Date;
}

/** Deliveries given positions per transaction: enough to fill the largest page. */
const ASSIGN_BATCH = 1_000;
/** The deliveries index of GET /v1/inbox?since= (delivery.schema.ts). */
const INBOX_SINCE_INDEX = 'inbox_since';

/**
 * An endpoint's inbox, in the order its deliveries became visible to inbox readers.
 *
 * Deliveries are stamped with createdAt by whichever notifier stored them, and concurrent
 * notifiers (or their clocks) do not commit in createdAt order: a cursor on createdAt could pass a
 * delivery that commits a moment later with an earlier time, and the reader would never see it.
 * So the inbox does not walk createdAt. Before answering, a reader gives every delivery of the
 * endpoint that has no position yet the next ones from a per-endpoint counter, oldest createdAt
 * first, in a transaction. Transactions on the same endpoint conflict on the counter and run one
 * after the other, so positions are handed out in the order deliveries became visible, and every
 * delivery a later transaction can see gets a position above every cursor already handed out.
 * A cursor is a position: walking it never skips or repeats, whatever the commit order.
 * Needs a replica set (a single-node one will do), as MongoDB transactions do.
 */
export class InboxRepository {
  /** Endpoints whose counter is known to exist. */
  private readonly counters = new Set<string>();

  constructor(
    private readonly deliveries: Model<DeliveryEntity>,
    private readonly sequences: Model<InboxSequenceEntity>,
  ) {}

  /** One page of the inbox after `afterSeq`, oldest position first. */
  async page(owner: InboxOwner, request: InboxPageRequest): Promise<DeliveryEntity[]> {
    for (;;) {
      const assigned = await this.assignPositions(owner);
      const query = this.deliveries
        .find({
          appId: owner.appId,
          endpointId: owner.endpointId,
          inboxSeq: { $gt: request.afterSeq },
          ...(request.status === undefined ? {} : { status: request.status }),
          ...(request.since === undefined ? {} : { createdAt: { $gte: request.since } }),
        })
        .sort({ inboxSeq: 1 })
        .limit(request.limit);
      // A recent `since` is a few keys of inbox_since; the inboxSeq walk would read every
      // position after the cursor to find them (all of them on a reader's first page).
      if (request.since !== undefined) query.hint(INBOX_SINCE_INDEX);
      const items = await query.lean<DeliveryEntity[]>().exec();
      // A full assignment batch may have left more behind: fill the page from them too.
      if (items.length === request.limit || assigned < ASSIGN_BATCH) return items;
    }
  }

  findByMessage(owner: InboxOwner, messageId: string): Promise<DeliveryEntity | null> {
    return this.deliveries
      .findOne({ appId: owner.appId, endpointId: owner.endpointId, messageId })
      .lean<DeliveryEntity>()
      .exec();
  }

  /**
   * The recipient has the message: the delivery is `succeeded` and nothing is retried. Clearing
   * the claim makes the fenced outcome write of an attempt in flight a no-op.
   */
  acknowledge(owner: InboxOwner, messageId: string, now: Date): Promise<DeliveryEntity | null> {
    const update: UpdateQuery<DeliveryEntity> = [
      {
        $set: {
          status: 'succeeded',
          nextAttemptAt: null,
          claimToken: null,
          lastError: null,
          deliveredAt: { $ifNull: ['$deliveredAt', now] },
          updatedAt: now,
          // An ordered delivery acknowledged here ends: its key is to be handed on.
          orderingHandOffStale: {
            $cond: [
              {
                $and: [
                  { $ne: ['$status', 'succeeded'] },
                  { $ne: [{ $type: '$ordering' }, 'missing'] },
                ],
              },
              true,
              '$orderingHandOffStale',
            ],
          },
        },
      },
    ];
    return this.deliveries
      .findOneAndUpdate({ appId: owner.appId, endpointId: owner.endpointId, messageId }, update, {
        new: true,
      })
      .lean<DeliveryEntity>()
      .exec();
  }

  /** Gives positions to the oldest deliveries that have none; returns how many it gave. */
  private async assignPositions(owner: InboxOwner): Promise<number> {
    const waiting = { appId: owner.appId, endpointId: owner.endpointId, inboxSeq: null };
    if ((await this.deliveries.exists(waiting).exec()) === null) return 0;
    await this.ensureCounter(owner.endpointId);
    const session = await this.deliveries.db.startSession();
    try {
      let assigned = 0;
      await session.withTransaction(async () => {
        const batch = await this.deliveries
          .find(waiting, { _id: 1 })
          .sort({ createdAt: 1, _id: 1 })
          .limit(ASSIGN_BATCH)
          .session(session)
          .lean<Pick<DeliveryEntity, '_id'>[]>()
          .exec();
        assigned = batch.length;
        if (batch.length === 0) return;
        const counter = await this.sequences
          .findOneAndUpdate(
            { _id: owner.endpointId },
            { $inc: { seq: batch.length } },
            { new: true, session },
          )
          .lean<InboxSequenceEntity>()
          .exec();
        const first = counter!.seq - batch.length + 1;
        await this.deliveries.bulkWrite(
          batch.map((delivery, index) => ({
            updateOne: {
              filter: { _id: delivery._id, inboxSeq: null },
              update: { $set: { inboxSeq: first + index } },
            },
          })),
          { session, ordered: true },
        );
      });
      return assigned;
    } finally {
      await session.endSession();
    }
  }

  /** Created outside the transaction: two transactions inserting it at once would not retry. */
  private async ensureCounter(endpointId: string): Promise<void> {
    if (this.counters.has(endpointId)) return;
    try {
      await this.sequences
        .updateOne({ _id: endpointId }, { $setOnInsert: { seq: 0 } }, { upsert: true })
        .exec();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    this.counters.add(endpointId);
  }
}

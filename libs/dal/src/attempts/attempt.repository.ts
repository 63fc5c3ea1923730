import type { Model } from 'mongoose';
import type { MessageEntity } from '../messages/message.entity';
import { insertManyIgnoringDuplicates } from '../shared/bulk';
import { decodeSequenceCursor, encodeSequenceCursor } from '../shared/cursor';
import type { PageRequest } from '../shared/tenant';
import type { AttemptEntity } from './attempt.entity';

/** Attempts given positions per transaction: enough to fill the largest page. */
const ASSIGN_BATCH = 1_000;

/**
 * The attempt log. An attempt is written when it ends (up to a minute after it started), by
 * whichever notifier made it, so neither startedAt nor the order of writes is the order in which
 * attempts become visible. A message's attempts are listed in positions handed out the first
 * time a reader can see them (as the inbox does, ADR 0004): a walk resumed from its last cursor
 * gets every attempt written since, however late.
 */
export class AttemptRepository {
  constructor(
    private readonly model: Model<AttemptEntity>,
    private readonly messages: Model<MessageEntity>,
  ) {}

  /** Ignores attempts already written: a batch retried after a failed write is not doubled. */
  async insertMany(attempts: AttemptEntity[]): Promise<void> {
    await insertManyIgnoringDuplicates(
      (docs) => this.model.insertMany(docs, { ordered: false, lean: true }),
      attempts,
    );
  }

  /** One page of a message's attempts in position order (oldest first), after `page.cursor`. */
  async listByMessage(
    appId: string,
    messageId: string,
    page: PageRequest,
  ): Promise<{ items: AttemptEntity[]; nextCursor: string | null }> {
    const afterSeq = page.cursor === undefined ? 0 : decodeSequenceCursor(page.cursor, 'cursor');
    for (;;) {
      const assigned = await this.assignPositions(appId, messageId);
      const items = await this.model
        .find({ appId, messageId, seq: { $gt: afterSeq } })
        .sort({ seq: 1 })
        .limit(page.limit + 1)
        .lean<AttemptEntity[]>()
        .exec();
      // A full assignment batch may have left more behind: fill the page from them too.
      if (items.length <= page.limit && assigned === ASSIGN_BATCH) continue;
      if (items.length <= page.limit) return { items, nextCursor: null };
      const pageItems = items.slice(0, page.limit);
      return {
        items: pageItems,
        nextCursor: encodeSequenceCursor(pageItems[pageItems.length - 1]!.seq!),
      };
    }
  }

  /**
   * Gives the message's attempts that have none the next positions from the message's counter,
   * oldest start first, in a transaction: two readers conflict on the counter and run one after
   * the other, so every attempt a later reader sees is placed after every cursor handed out.
   * Returns how many it gave.
   */
  private async assignPositions(appId: string, messageId: string): Promise<number> {
    const waiting = { appId, messageId, seq: null };
    if ((await this.model.exists(waiting).exec()) === null) return 0;
    const session = await this.model.db.startSession();
    try {
      let assigned = 0;
      await session.withTransaction(async () => {
        assigned = 0;
        const batch = await this.model
          .find(waiting, { _id: 1 })
          .sort({ startedAt: 1, _id: 1 })
          .limit(ASSIGN_BATCH)
          .session(session)
          .lean<Pick<AttemptEntity, '_id'>[]>()
          .exec();
        if (batch.length === 0) return;
        const counter = await this.messages
          .findOneAndUpdate(
            { _id: messageId, appId },
            { $inc: { attemptSeq: batch.length } },
            { new: true, session, projection: { attemptSeq: 1 } },
          )
          .lean<Pick<MessageEntity, 'attemptSeq'>>()
          .exec();
        if (counter === null) return;
        const first = counter.attemptSeq! - batch.length + 1;
        await this.model.bulkWrite(
          batch.map((attempt, index) => ({
            updateOne: {
              filter: { _id: attempt._id, seq: null },
              update: { $set: { seq: first + index } },
            },
          })),
          { session, ordered: true },
        );
        assigned = batch.length;
      });
      return assigned;
    } finally {
      await session.endSession();
    }
  }
}

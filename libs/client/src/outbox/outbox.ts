import type { ClientSession, Collection, Db } from 'mongodb';
import { v7 as uuidv7 } from 'uuid';
import type { PublishMessage } from '@app/contracts';
import { platformMessageId, validateMessage } from '../message-id';

export const DEFAULT_OUTBOX_COLLECTION = 'notify_outbox';

export type OutboxStatus = 'pending' | 'sent';

/** One message waiting in (or done with) the producer's outbox collection. */
export interface OutboxRecord {
  /** `obx_` + a time-ordered UUID; published as the AMQP `messageId`, so replays dedupe. */
  _id: string;
  appId: string;
  message: PublishMessage;
  /** The id the platform stores the message under (GET /v1/messages/:id). */
  messageId: string;
  status: OutboxStatus;
  /**
   * While pending: when a relay may take it. While a relay holds it, the lease expiry, so a relay
   * that dies simply leaves a record that falls due again (as the notifier's deliveries do).
   */
  availableAt: Date;
  claimToken: string | null;
  /** Publish tries so far. */
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface OutboxEntry {
  /** The outbox record's id (the AMQP messageId). */
  id: string;
  /** The platform's message id, known before anything was published. */
  messageId: string;
}

export interface OutboxOptions {
  /** Your app's id on the platform: the relay publishes with it as `x-app-id`. */
  appId: string;
  collectionName?: string;
}

/**
 * The transactional outbox ("reliable message" pattern): the producer writes the message into its
 * own MongoDB, in the same transaction as the business change, and an OutboxRelay publishes it
 * afterwards. Either both commit or neither does; once committed, the relay keeps publishing until
 * the broker confirms (at-least-once; the platform deduplicates replays by the record id).
 */
export class Outbox {
  readonly appId: string;
  readonly collection: Collection<OutboxRecord>;

  constructor(db: Db, options: OutboxOptions) {
    this.appId = options.appId;
    this.collection = db.collection<OutboxRecord>(
      options.collectionName ?? DEFAULT_OUTBOX_COLLECTION,
    );
  }

  /**
   * Inserts the message into the outbox inside the caller's transaction. Throws when the session
   * is not in a transaction (the record must commit or roll back with the business change) or the
   * message breaks the intake contract (it would be dead-lettered, so refuse it here).
   */
  async write(session: ClientSession, message: PublishMessage): Promise<OutboxEntry> {
    const [entry] = await this.writeMany(session, [message]);
    return entry!;
  }

  async writeMany(
    session: ClientSession,
    messages: readonly PublishMessage[],
  ): Promise<OutboxEntry[]> {
    if (!session.inTransaction()) {
      throw new Error(
        'outbox.write needs a session inside a transaction (session.withTransaction(...)), so the message commits or rolls back with your business change',
      );
    }
    const now = new Date();
    const records = messages.map((message): OutboxRecord => {
      const valid = validateMessage(message);
      const id = `obx_${uuidv7().replaceAll('-', '')}`;
      return {
        _id: id,
        appId: this.appId,
        message: valid,
        messageId: platformMessageId(this.appId, valid.idempotencyKey ?? id),
        status: 'pending',
        availableAt: now,
        claimToken: null,
        attempts: 0,
        lastError: null,
        createdAt: now,
        sentAt: null,
      };
    });
    if (records.length > 0) await this.collection.insertMany(records, { session });
    return records.map((record) => ({ id: record._id, messageId: record.messageId }));
  }

  /**
   * The relay's claim index, and a TTL index that removes sent records after `sentRetention`
   * (default 7 days; pending ones never expire). Idempotent; call at boot. Collections cannot be
   * created inside a transaction on older servers, so call this before the first write.
   */
  async ensureIndexes(options: { sentRetentionSeconds?: number } = {}): Promise<void> {
    // Serves OutboxRelay's claim: { status: 'pending', availableAt <= now }, oldest due first.
    await this.collection.createIndex(
      { availableAt: 1, _id: 1 },
      { name: 'relay_claim', partialFilterExpression: { status: 'pending' } },
    );
    // Serves the cleanup: sent records go after the retention; pending ones have no sentAt.
    await this.collection.createIndex(
      { sentAt: 1 },
      { name: 'sent_ttl', expireAfterSeconds: options.sentRetentionSeconds ?? 7 * 24 * 3600 },
    );
  }

  /** How many records wait to be published (for health checks and metrics). */
  countPending(): Promise<number> {
    return this.collection.countDocuments({ status: 'pending' });
  }
}

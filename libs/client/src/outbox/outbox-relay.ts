import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { BatchItem, BatchOutcome } from '../amqp/amqp-publisher';
import { backoffDelay, consoleLogger, sleep, type SdkLogger } from '../backoff';
import type { Outbox, OutboxRecord } from './outbox';

/** What the relay needs from a publisher; AmqpPublisher is one. */
export interface OutboxPublisher {
  /** When given, it must be the outbox's app: the relay refuses to mix them up. */
  readonly appId?: string;
  publishBatch(items: readonly BatchItem[]): Promise<BatchOutcome[]>;
}

export interface OutboxRelayOptions {
  outbox: Outbox;
  publisher: OutboxPublisher;
  /** Records claimed and published per round; default 100. */
  batchSize?: number;
  /**
   * How long a claim holds before another relay may take the records over; default 60 s. Must
   * exceed the publisher's confirm timeout plus the time to mark a batch sent.
   */
  leaseMs?: number;
  /** Pause between rounds that found nothing to do; default 500 ms (see `wake()`). */
  pollIntervalMs?: number;
  /** Backoff of a record whose publish failed: first delay, doubling up to the max. */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  logger?: SdkLogger;
}

export interface RelayRound {
  /** Records claimed this round. */
  claimed: number;
  /** Confirmed by the broker and marked sent. */
  published: number;
  /** Not confirmed: pending again, after a backoff. */
  failed: number;
}

/**
 * Publishes what producers wrote to the outbox. Each round claims a batch of due records with a
 * lease (one `updateMany` fenced on the due condition, like the notifier's scheduler), publishes
 * them on a confirm channel, and marks the confirmed ones sent; unconfirmed ones fall due again
 * after a backoff. Any number of relays may run against one outbox.
 *
 * At-least-once: a relay that dies after claiming leaves records that fall due when the lease
 * expires; one that dies after the broker confirmed but before marking them sent makes the next
 * relay publish them again, and the platform drops the repeat (same AMQP messageId).
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly backoff: { initialDelayMs: number; maxDelayMs: number };
  private readonly logger: SdkLogger;
  private running: Promise<void> | undefined;
  private stopping: AbortController | undefined;
  private waking = new AbortController();

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.backoff = {
      initialDelayMs: options.retryInitialDelayMs ?? 1_000,
      maxDelayMs: options.retryMaxDelayMs ?? 60_000,
    };
    this.logger = options.logger ?? consoleLogger;
    const { outbox, publisher } = options;
    if (publisher.appId !== undefined && publisher.appId !== outbox.appId) {
      throw new Error(
        `the outbox is app ${outbox.appId}'s but the publisher publishes as ${publisher.appId}`,
      );
    }
  }

  /** Runs rounds in the background until `stop()`. */
  start(): void {
    if (this.running !== undefined) return;
    const stopping = new AbortController();
    this.stopping = stopping;
    this.running = this.loop(stopping.signal);
  }

  /** Finishes the round in hand (nothing stays claimed), then stops. */
  async stop(): Promise<void> {
    this.stopping?.abort();
    this.waking.abort();
    await this.running;
    this.running = undefined;
    this.stopping = undefined;
  }

  /** Starts the next round now instead of after the poll interval (e.g. right after a commit). */
  wake(): void {
    this.waking.abort();
  }

  /** One round: claim, publish, record the outcomes. Throws if MongoDB does. */
  async runOnce(): Promise<RelayRound> {
    const claimToken = randomUUID();
    const records = await this.claim(claimToken);
    if (records.length === 0) return { claimed: 0, published: 0, failed: 0 };
    const outcomes = await this.options.publisher.publishBatch(
      records.map((record) => ({ message: record.message, amqpMessageId: record._id })),
    );
    const published = records.filter((_, index) => outcomes[index]?.ok === true);
    const failed = records.flatMap((record, index) => {
      const outcome = outcomes[index];
      return outcome?.ok === true ? [] : [{ record, error: outcome?.error }];
    });
    await this.markSent(published, claimToken);
    await this.reschedule(failed, claimToken);
    if (failed.length > 0) {
      this.logger.warn(
        `outbox: ${failed.length} of ${records.length} records not confirmed, retrying later: ${failed[0]?.error?.message}`,
      );
    }
    return { claimed: records.length, published: published.length, failed: failed.length };
  }

  /** Runs rounds until nothing is due (handy in tests and scripts). */
  async drain(): Promise<number> {
    let published = 0;
    for (;;) {
      const round = await this.runOnce();
      published += round.published;
      if (round.claimed === 0) return published;
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let idle = false;
      try {
        const round = await this.runOnce();
        failures = 0;
        idle = round.claimed < this.batchSize;
      } catch (error) {
        failures += 1;
        this.logger.warn(`outbox relay round failed: ${(error as Error).message}`);
        await sleep(backoffDelay(failures, this.backoff), signal);
        continue;
      }
      if (!idle || signal.aborted) continue;
      if (this.waking.signal.aborted) {
        // woken during the round: go again now
        this.waking = new AbortController();
        continue;
      }
      await sleep(this.pollIntervalMs, signal, this.waking.signal);
    }
  }

  private async claim(claimToken: string): Promise<OutboxRecord[]> {
    const { collection } = this.options.outbox;
    const now = new Date();
    const due = { status: 'pending' as const, availableAt: { $lte: now } };
    const candidates = await collection
      .find(due, { projection: { _id: 1 } })
      .sort({ availableAt: 1, _id: 1 })
      .limit(this.batchSize)
      .toArray();
    if (candidates.length === 0) return [];
    const ids = candidates.map((candidate) => candidate._id);
    // Re-checks the due condition per record: of two relays racing, exactly one claims each.
    await collection.updateMany(
      { _id: { $in: ids }, ...due },
      {
        $set: { claimToken, availableAt: new Date(now.getTime() + this.leaseMs) },
        $inc: { attempts: 1 },
      },
    );
    return collection
      .find({ _id: { $in: ids }, claimToken })
      .sort({ _id: 1 })
      .toArray();
  }

  private async markSent(records: readonly OutboxRecord[], claimToken: string): Promise<void> {
    if (records.length === 0) return;
    // Fenced on the claim: a relay whose lease ran out does not touch what another one holds.
    await this.options.outbox.collection.updateMany(
      { _id: { $in: records.map((record) => record._id) }, claimToken },
      { $set: { status: 'sent', sentAt: new Date(), claimToken: null, lastError: null } },
    );
  }

  private async reschedule(
    failed: readonly { record: OutboxRecord; error: Error | undefined }[],
    claimToken: string,
  ): Promise<void> {
    if (failed.length === 0) return;
    const now = Date.now();
    const operations: AnyBulkWriteOperation<OutboxRecord>[] = failed.map(({ record, error }) => ({
      updateOne: {
        filter: { _id: record._id, claimToken },
        update: {
          $set: {
            claimToken: null,
            availableAt: new Date(now + backoffDelay(record.attempts, this.backoff)),
            lastError: error?.message ?? 'not confirmed',
          },
        },
      },
    }));
    await this.options.outbox.collection.bulkWrite(operations, { ordered: false });
  }
}

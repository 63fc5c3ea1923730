import type { InboxItem, InboxStatus } from '@app/contracts';
import { backoffDelay, consoleLogger, sleep, type SdkLogger } from '../backoff';
import type { InboxClient } from '../http/notify-client';
import { DEFAULT_CLAIM_TTL_MS, type DedupeStore } from '../receiver/dedupe-store';
import type { CursorStore } from './cursor-store';

export type InboxHandler = (item: InboxItem) => Promise<void> | void;

export interface InboxFollowerOptions {
  inbox: InboxClient;
  cursor: CursorStore;
  handler: InboxHandler;
  /**
   * Skip items whose delivery already `succeeded` (the webhook got through, so the handler saw
   * them); default true. With false every item in the inbox reaches the handler.
   */
  skipSucceeded?: boolean;
  /** Ack each handled item (its delivery becomes succeeded and retries stop); default true. */
  ack?: boolean;
  /** The same store as the WebhookReceiver's, so a message arriving both ways is handled once. */
  dedupe?: DedupeStore;
  dedupeTtlMs?: number;
  /** How long the follower's own claim on an id lasts while its handler runs; default 10 min. */
  claimTtlMs?: number;
  /** Only items that reached the endpoint at or after this time (`GET /v1/inbox?since=`). */
  since?: Date;
  /** Items per page; default 100. */
  pageSize?: number;
  /** Between catch-ups in `start()`; default 5 s. */
  pollIntervalMs?: number;
  logger?: SdkLogger;
}

export interface CatchUpResult {
  /** Items the handler ran for. */
  handled: number;
  /** Already succeeded, or already handled (dedupe). */
  skipped: number;
  /** Pages read, the final empty one included. */
  pages: number;
  /**
   * Set when the walk stopped at an item whose handling (by the webhook receiver sharing the
   * dedupe store) had not finished: the cursor stays before its page, and a later catch-up looks
   * at it again. Undefined when the walk reached the end.
   */
  waitingFor?: string;
}

/**
 * Walks a recipient's inbox (`GET /v1/inbox`, oldest first) from a saved cursor, runs the handler
 * for what it has not seen, acks it, and saves the cursor after each page. A recipient that was
 * down calls `catchUp()` when it comes back (or keeps `start()` running) and misses nothing: the
 * inbox cursor never skips an item. A crash mid-page repeats that page (at-least-once), which
 * the dedupe store absorbs.
 */
export class InboxFollower {
  private readonly pageSize: number;
  private readonly pollIntervalMs: number;
  private readonly logger: SdkLogger;
  private running: Promise<void> | undefined;
  private stopping: AbortController | undefined;

  constructor(private readonly options: InboxFollowerOptions) {
    this.pageSize = options.pageSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.logger = options.logger ?? consoleLogger;
  }

  /**
   * Reads every page after the saved cursor. A handler error stops the walk before the cursor of
   * that page is saved, and is thrown: the next catch-up starts at that page again.
   */
  async catchUp(): Promise<CatchUpResult> {
    const result: CatchUpResult = { handled: 0, skipped: 0, pages: 0 };
    let after = await this.options.cursor.load();
    for (;;) {
      const page = await this.options.inbox.list({
        status: 'all' satisfies InboxStatus,
        limit: this.pageSize,
        ...(after === undefined ? {} : { after }),
        ...(this.options.since === undefined ? {} : { since: this.options.since }),
      });
      result.pages += 1;
      for (const item of page.data) {
        const processed = await this.process(item);
        if (processed === 'in_progress') {
          // That handling may still fail: do not save a cursor past it.
          return { ...result, waitingFor: item.messageId };
        }
        result[processed] += 1;
      }
      // null on an empty page, the end of the walk: keep the cursor we have.
      if (page.nextCursor === null) return result;
      await this.options.cursor.save(page.nextCursor);
      after = page.nextCursor;
    }
  }

  /** Catches up now and then every poll interval, until `stop()`. Errors are logged and retried. */
  start(): void {
    if (this.running !== undefined) return;
    const stopping = new AbortController();
    this.stopping = stopping;
    this.running = this.loop(stopping.signal);
  }

  async stop(): Promise<void> {
    this.stopping?.abort();
    await this.running;
    this.running = undefined;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.catchUp();
        failures = 0;
        await sleep(this.pollIntervalMs, signal);
      } catch (error) {
        failures += 1;
        this.logger.warn(`inbox catch-up failed: ${(error as Error).message}`);
        await sleep(
          backoffDelay(failures, { initialDelayMs: 1_000, maxDelayMs: this.pollIntervalMs * 6 }),
          signal,
        );
      }
    }
  }

  private async process(item: InboxItem): Promise<'handled' | 'skipped' | 'in_progress'> {
    const { dedupe, handler } = this.options;
    if ((this.options.skipSucceeded ?? true) && item.deliveryStatus === 'succeeded') {
      return 'skipped';
    }
    if (dedupe !== undefined) {
      const claim = await dedupe.claim(
        item.messageId,
        this.options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS,
      );
      // Handled through the webhook: not acked here, its 2xx settles the delivery.
      if (claim === 'done') return 'skipped';
      // Being handled through the webhook, which may still fail.
      if (claim === 'in_progress') return 'in_progress';
    }
    try {
      await handler(item);
    } catch (error) {
      await dedupe?.release(item.messageId);
      throw error;
    }
    await dedupe?.complete(item.messageId, this.options.dedupeTtlMs ?? 48 * 3600 * 1000);
    await this.ack(item);
    return 'handled';
  }

  private async ack(item: InboxItem): Promise<void> {
    if ((this.options.ack ?? true) && item.deliveryStatus !== 'succeeded') {
      await this.options.inbox.ack(item.messageId);
    }
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { batchIds } from '@app/common';
import { MessageRepository, StatusRefreshRepository, type StatusRefreshEntity } from '@app/dal';

/** Messages one refresh recomputes at most (more when one owed refresh alone holds more). */
const MAX_REFRESH = 1_000;
const RETRY_DELAY_MS = 1_000;

/**
 * The last write for outcomes that ended deliveries: their messages' statuses, recomputed
 * (MessageRepository.refreshStatusAfterOutcomes) once the outcomes are written. It runs beside the
 * OutcomeWriter rather than in its way: while one refresh runs, the next batches of outcomes are
 * written, and the refreshes they owe wait and go together in the next one, in fewer round trips
 * than one refresh per batch (the refresh took two thirds of a batch's write time, npm run
 * bench). Each batch owes its refresh in a StatusRefreshRepository entry, written before its
 * outcomes and removed here once its messages are written. A refresh that fails is tried again;
 * should the notifier stop first, the entries stay, and MessageStatusRepair hands them back here.
 */
@Injectable()
export class MessageStatusRefresh {
  private readonly logger = new Logger(MessageStatusRefresh.name);
  private queued: StatusRefreshEntity[] = [];
  private refreshing: StatusRefreshEntity[] = [];
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly refreshedListeners: (() => void)[] = [];

  constructor(
    private readonly messages: MessageRepository,
    private readonly owed: StatusRefreshRepository,
  ) {}

  /** Messages whose statuses are owed and not refreshed yet. */
  get pending(): number {
    return messageCount(this.queued) + messageCount(this.refreshing);
  }

  /** Called after every refresh, written or failed: `pending` changed. */
  onRefreshed(listener: () => void): void {
    this.refreshedListeners.push(listener);
  }

  /** Owed refreshes whose outcomes are written; one already queued or under way is not added twice. */
  add(entries: readonly StatusRefreshEntity[]): void {
    const known = new Set([...this.queued, ...this.refreshing].map((entry) => entry._id));
    const added = entries.filter((entry) => !known.has(entry._id));
    if (added.length === 0) return;
    this.queued.push(...added);
    this.start();
  }

  /**
   * Resolves once the refresh under way is over (after a failed one, once it was tried again):
   * true if nothing is left to refresh.
   */
  async settled(): Promise<boolean> {
    if (this.running === undefined && this.queued.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      this.start();
    }
    await this.running;
    return this.pending === 0;
  }

  private start(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  private async run(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.nextBatch();
      this.refreshing = batch;
      const messageIds = batch.flatMap((entry) => entry.messageIds);
      try {
        const notWritten = await this.messages.refreshStatusAfterOutcomes(messageIds);
        // Overtaken every time: still owed, for the repair.
        await this.owed.settle(
          batch.filter((entry) => !entry.messageIds.some((id) => notWritten.has(id))),
        );
      } catch (error) {
        this.logger.warn(
          batchIds({ messageIds: [...new Set(messageIds)] }),
          `refreshing the status of ${messageIds.length} messages failed, retrying: ${String(error)}`,
        );
        this.queued.unshift(...batch);
        // Not holding the process open: MessageStatusRepair covers a notifier that stops.
        this.retryTimer = setTimeout(() => this.start(), RETRY_DELAY_MS).unref();
        return;
      } finally {
        this.refreshing = [];
        for (const listener of this.refreshedListeners) listener();
      }
    }
  }

  /** Queued entries up to MAX_REFRESH messages, at least one. */
  private nextBatch(): StatusRefreshEntity[] {
    let count = 0;
    let taken = 0;
    while (
      taken < this.queued.length &&
      (taken === 0 || count + this.queued[taken]!.messageIds.length <= MAX_REFRESH)
    ) {
      count += this.queued[taken]!.messageIds.length;
      taken += 1;
    }
    return this.queued.splice(0, taken);
  }
}

function messageCount(entries: readonly StatusRefreshEntity[]): number {
  return entries.reduce((sum, entry) => sum + entry.messageIds.length, 0);
}

import { Injectable, Logger } from '@nestjs/common';
import { batchIds } from '@app/common';
import { MessageRepository, type DeliveryEntity } from '@app/dal';

type Ended = Pick<DeliveryEntity, '_id' | 'messageId'>;

/** Deliveries whose messages one refresh recomputes at most. */
const MAX_REFRESH = 1_000;
const RETRY_DELAY_MS = 1_000;

/**
 * The last write for outcomes that ended deliveries: their messages' statuses, recomputed
 * (MessageRepository.refreshStatusOfEnded) once the outcomes are written. It runs beside the
 * OutcomeWriter rather than in its way: while one refresh runs, the next batches of outcomes are
 * written, and the deliveries they end wait and go together in the next refresh, in fewer round
 * trips than one refresh per batch (the refresh took two thirds of a batch's write time, npm run
 * bench). A refresh that fails is tried again; should the notifier stop first, its deliveries keep
 * the `messageStatusStale` flag their outcome set, and MessageStatusRepair finishes them.
 */
@Injectable()
export class MessageStatusRefresh {
  private readonly logger = new Logger(MessageStatusRefresh.name);
  private queued: Ended[] = [];
  private refreshing = 0;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly refreshedListeners: (() => void)[] = [];

  constructor(private readonly messages: MessageRepository) {}

  /** Deliveries whose messages are not refreshed yet. */
  get pending(): number {
    return this.queued.length + this.refreshing;
  }

  /** Called after every refresh, written or failed: `pending` changed. */
  onRefreshed(listener: () => void): void {
    this.refreshedListeners.push(listener);
  }

  /** Deliveries whose outcome, ending them, is written. */
  add(ended: readonly Ended[]): void {
    if (ended.length === 0) return;
    this.queued.push(...ended);
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
      const batch = this.queued.splice(0, MAX_REFRESH);
      this.refreshing = batch.length;
      try {
        await this.messages.refreshStatusOfEnded(batch);
      } catch (error) {
        this.logger.warn(
          batchIds({ messageIds: [...new Set(batch.map((delivery) => delivery.messageId))] }),
          `refreshing the status of ${batch.length} deliveries' messages failed, retrying: ${String(error)}`,
        );
        this.queued.unshift(...batch);
        // Not holding the process open: MessageStatusRepair covers a notifier that stops.
        this.retryTimer = setTimeout(() => this.start(), RETRY_DELAY_MS).unref();
        return;
      } finally {
        this.refreshing = 0;
        for (const listener of this.refreshedListeners) listener();
      }
    }
  }
}

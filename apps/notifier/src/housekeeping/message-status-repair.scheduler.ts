import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { batchIds, Clock } from '@app/common';
import { DeliveryRepository, MessageRepository } from '@app/dal';

/** How often the repair looks, and how long an ended delivery may wait for its refresh first. */
const REPAIR_INTERVAL_MS = 5_000;
const GRACE_MS = 10_000;
const REPAIR_BATCH = 500;

/**
 * A message's status is recomputed right after its deliveries' outcomes are written (OutcomeWriter),
 * in a second write. A notifier that dies between the two (SIGKILL, a crash, a lost machine)
 * leaves deliveries that ended flagged `messageStatusStale` and a message still `pending`. This
 * finds such deliveries once they are older than a grace period and recomputes their messages;
 * every notifier runs it, and running it twice is harmless.
 */
@Injectable()
export class MessageStatusRepair {
  private readonly logger = new Logger(MessageStatusRepair.name);
  private running = false;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly messages: MessageRepository,
    private readonly clock: Clock,
  ) {}

  @Interval(REPAIR_INTERVAL_MS)
  async repair(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const endedBefore = new Date(this.clock.now().getTime() - GRACE_MS);
      for (;;) {
        const stale = await this.deliveries.findMessageStatusStale(endedBefore, REPAIR_BATCH);
        if (stale.length === 0) return;
        await this.messages.refreshStatusOfEnded(stale);
        const messageIds = [...new Set(stale.map((delivery) => delivery.messageId))];
        this.logger.warn(
          batchIds({ messageIds }),
          `recomputed the status of ${messageIds.length} messages left stale (a notifier stopped between writes)`,
        );
        if (stale.length < REPAIR_BATCH) return;
      }
    } catch (error) {
      this.logger.warn(`repairing message statuses failed, retried later: ${String(error)}`);
    } finally {
      this.running = false;
    }
  }
}

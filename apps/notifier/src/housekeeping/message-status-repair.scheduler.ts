import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { batchIds, Clock } from '@app/common';
import { StatusRefreshRepository } from '@app/dal';
import { MessageStatusRefresh } from '../record-outcomes/message-status-refresh';

/** How often the repair looks, and how long an owed refresh may wait for its notifier first. */
const REPAIR_INTERVAL_MS = 5_000;
const GRACE_MS = 10_000;
const REPAIR_BATCH = 500;

/**
 * A message's status is recomputed right after its deliveries' outcomes are written
 * (RecordOutcomesUseCase), in a later write. A notifier that dies between the two (SIGKILL, a
 * crash, a lost machine) leaves the refresh its batch owed (StatusRefreshRepository) and a message
 * still `pending`. This finds owed refreshes once they are older than a grace period and hands them
 * to this notifier's MessageStatusRefresh; every notifier runs it, and running it twice is
 * harmless.
 */
@Injectable()
export class MessageStatusRepair {
  private readonly logger = new Logger(MessageStatusRepair.name);
  private running = false;

  constructor(
    private readonly owed: StatusRefreshRepository,
    private readonly refresh: MessageStatusRefresh,
    private readonly clock: Clock,
  ) {}

  @Interval(REPAIR_INTERVAL_MS)
  async repair(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const writtenBefore = new Date(this.clock.now().getTime() - GRACE_MS);
      const left = await this.owed.findLeftBefore(writtenBefore, REPAIR_BATCH);
      if (left.length === 0) return;
      const messageIds = [...new Set(left.flatMap((entry) => entry.messageIds))];
      this.logger.warn(
        batchIds({ messageIds }),
        `recomputing the status of ${messageIds.length} messages left stale (a notifier stopped between writes)`,
      );
      this.refresh.add(left);
      await this.refresh.settled();
    } catch (error) {
      this.logger.warn(`repairing message statuses failed, retried later: ${String(error)}`);
    } finally {
      this.running = false;
    }
  }
}

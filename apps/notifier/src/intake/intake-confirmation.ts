import { Injectable, Logger } from '@nestjs/common';
import { DeliveryRepository, MessageRepository } from '@app/dal';
import { noneUnconfirmed, type Unconfirmed } from '../store-messages/store-messages.command';

/**
 * How long a batch's confirmation waits for later batches to share its writes. At 200 msg/s
 * that is ten batches a confirmation, so the two writes cost a message a fifth of one, against
 * the journal wait its first attempt no longer pays; the broker is acknowledged that much later.
 */
export const CONFIRM_DELAY_MS = 50;
/** Messages and deliveries waiting beyond which a confirmation is written at once. */
const CONFIRM_SIZE = 1_000;
/**
 * How long a confirmation may wait for MongoDB's answer: longer than an election and the server
 * selection that spans it (15 s), so that one sent during a failover is answered by the new
 * primary. Past it the confirmation is not known, and its messages are stored again. Unbounded,
 * one left without an answer held back every later acknowledgement of this notifier, since each
 * confirmation waits for the one before: for as long as the driver waited (60 s on a silent
 * socket; a connection checkout has no limit of its own).
 */
const CONFIRM_TIMEOUT_MS = 20_000;

/**
 * Confirms that a majority holds what intake wrote unconfirmed (UNCONFIRMED: the messages whose ids
 * it minted and the deliveries it claimed beside them), before their messages are acknowledged to
 * the broker. The batches of CONFIRM_DELAY_MS share two writes (confirmHeld, on messages and on
 * deliveries), one confirmation at a time: those that arrive while one is written go in the next.
 * Not held (one was lost to a failover or a primary's crash) or not known (MongoDB unreachable, or
 * no answer within CONFIRM_TIMEOUT_MS): false for every batch of that confirmation, whose messages
 * intake then stores again.
 */
@Injectable()
export class IntakeConfirmation {
  private readonly logger = new Logger(IntakeConfirmation.name);
  private waiting: { unconfirmed: Unconfirmed; settle: (held: boolean) => void }[] = [];
  /** The ids in waiting. */
  private waitingIds = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing = false;

  constructor(
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /** Resolves once known: true when a majority holds all of it. */
  confirm(unconfirmed: Unconfirmed): Promise<boolean> {
    if (noneUnconfirmed(unconfirmed)) return Promise.resolve(true);
    return new Promise((settle) => {
      this.waiting.push({ unconfirmed, settle });
      this.waitingIds += unconfirmed.messageIds.length + unconfirmed.deliveryIds.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing) return;
    if (this.waitingIds >= CONFIRM_SIZE) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.write();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, CONFIRM_DELAY_MS);
  }

  private async write(): Promise<void> {
    if (this.writing || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0);
    this.waitingIds = 0;
    this.writing = true;
    let held = false;
    try {
      const [messages, deliveries] = await Promise.all([
        this.messages.confirmHeld(
          batch.flatMap((entry) => entry.unconfirmed.messageIds),
          CONFIRM_TIMEOUT_MS,
        ),
        this.deliveries.confirmHeld(
          batch.flatMap((entry) => entry.unconfirmed.deliveryIds),
          CONFIRM_TIMEOUT_MS,
        ),
      ]);
      held = messages && deliveries;
    } catch (error) {
      this.logger.warn(`confirming what intake stored failed: ${String(error)}`);
    } finally {
      this.writing = false;
      for (const entry of batch) entry.settle(held);
      if (this.waiting.length > 0) this.schedule();
    }
  }
}

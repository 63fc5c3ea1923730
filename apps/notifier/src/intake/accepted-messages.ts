import { Injectable, Logger } from '@nestjs/common';
import { batchIds, messagesAccepted } from '@app/common';
import { isPermanentStoreError } from '@app/dal';
import { traceStore } from '@app/tracing';
import { DeliveryDispatcher } from '../attempt/delivery-dispatcher';
import { DeliveryScheduler } from '../claim/delivery.scheduler';
import { deliveryBatchFields } from '../log-fields';
import {
  noneUnconfirmed,
  type IncomingMessage,
  type StoreMessagesResult,
  type Unconfirmed,
} from '../store-messages/store-messages.command';
import { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import { DeadLetters } from './dead-letters';
import { IntakeConfirmation } from './intake-confirmation';
import { ack, type Received } from './received';
import { retryUntilStopped } from './retry-until-stopped';

/** A message MongoDB refuses on its own is dead-lettered after this many tries. */
const POISON_TRIES = 3;

/** A message taken off the queue and parsed; AcceptedMessages gets those intake's checks pass. */
export type Accepted = { received: Received; message: IncomingMessage };

/** A message stored (or held back unconfirmed), with the id it was stored under. */
type Kept = Accepted & { messageId: string };

/** Storing failed because of the messages themselves: see isPermanentStoreError. */
class PoisonedBatch extends Error {
  constructor(readonly refusal: unknown) {
    super(`the batch cannot be stored: ${String(refusal)}`);
  }
}

/**
 * What intake accepted, from there on: stored in MongoDB (StoreMessagesUseCase, which also claims
 * the deliveries it has slots for), retried while MongoDB is down, and only then acknowledged
 * (what was written unconfirmed, once confirmed: ackOnceHeld); then the claimed deliveries go to
 * the DeliveryDispatcher and the DeliveryScheduler is kicked for the rest. A message MongoDB
 * itself refuses is found by storing the batch one at a time and dead-lettered alone.
 */
@Injectable()
export class AcceptedMessages {
  private readonly logger = new Logger('IntakeConsumer');
  /** Batches stored unconfirmed whose acknowledgement waits for their confirmation. */
  private readonly acking = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly storeMessages: StoreMessagesUseCase,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly scheduler: DeliveryScheduler,
    private readonly deadLetters: DeadLetters,
    private readonly confirmation: IntakeConfirmation,
  ) {}

  /** Shutdown: a store that keeps failing gives up, leaving its messages to the broker. */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves when no acknowledgement waits for a confirmation any more. */
  async settled(): Promise<void> {
    while (this.acking.size > 0) await Promise.all([...this.acking]);
  }

  /** Stores, acknowledges and dispatches one batch (see the class). */
  async store(accepted: readonly Accepted[]): Promise<void> {
    let stored: StoreMessagesResult | undefined;
    try {
      stored = await traceStore(
        accepted.map((item) => item.received.trace),
        accepted.map((item) => item.message),
        (messages) => this.storeWithRetry(messages),
      );
    } catch (error) {
      if (!(error instanceof PoisonedBatch)) throw error;
      // Something in the batch can never be stored: find it by storing one at a time, so that
      // it alone is dead-lettered and intake goes on.
      if (accepted.length > 1) {
        for (const item of accepted) await this.store([item]);
      } else {
        await this.deadLetters.deadLetter(
          accepted[0]!.received,
          `the message cannot be stored: ${String(error.refusal)}`,
        );
      }
      return;
    }
    if (stored === undefined) return;
    messagesAccepted.inc({ source: 'intake' }, stored.results.filter((r) => r.stored).length);
    const refused: Promise<void>[] = [];
    const kept: Kept[] = [];
    for (const [index, result] of stored.results.entries()) {
      const { received, message } = accepted[index]!;
      if (result.stored) kept.push({ received, message, messageId: result.messageId });
      else refused.push(this.deadLetters.deadLetter(received, result.reason));
    }
    const confirmed = noneUnconfirmed(stored.unconfirmed);
    if (confirmed) for (const { received } of kept) ack(received);
    await Promise.all(refused);
    await this.dispatcher
      .dispatch(stored.claimed, stored.claimToken, {
        preloaded: { endpoints: stored.endpoints, messages: stored.messages },
      })
      .catch((error: unknown) =>
        this.logger.warn(
          deliveryBatchFields(stored.claimed),
          `dispatching at intake failed: ${String(error)}`,
        ),
      );
    // What there was no room for now is due now: the scheduler need not wait for its interval.
    if (stored.unclaimed > 0) this.scheduler.kick();
    if (!confirmed) this.ackOnceHeld(kept, stored.unconfirmed);
  }

  /**
   * Acknowledges messages written unconfirmed once a majority holds them and their deliveries
   * (IntakeConfirmation), beside the next batches. Should some be lost (a failover, or a primary
   * that died before its journal flush), their messages are stored again under the same ids, so
   * that what recipients already received keeps its id: the replay recreates whatever is missing,
   * due now. Left unacknowledged when that cannot be done before shutdown: the broker redelivers.
   */
  private ackOnceHeld(kept: readonly Kept[], unconfirmed: Unconfirmed): void {
    const acking = this.confirmation
      .confirm(unconfirmed)
      .then(async (held) => {
        if (held) {
          for (const { received } of kept) ack(received);
          return;
        }
        this.logger.warn(
          batchIds({ messageIds: kept.map((item) => item.messageId) }),
          `${kept.length} messages stored unconfirmed are not held by a majority; storing them again`,
        );
        await this.store(
          kept.map(({ received, message, messageId }) => ({
            received,
            message: { ...message, mintedId: undefined, assignedId: messageId },
          })),
        );
      })
      .catch((error: unknown) =>
        this.logger.error(`acknowledging stored messages failed: ${String(error)}`),
      )
      .finally(() => this.acking.delete(acking));
    this.acking.add(acking);
  }

  /**
   * Keeps trying while MongoDB is down; gives up only at shutdown, leaving the messages
   * unacknowledged for the broker to deliver again. Throws PoisonedBatch when MongoDB refuses the
   * messages themselves (POISON_TRIES times in a row).
   */
  private async storeWithRetry(
    messages: IncomingMessage[],
  ): Promise<StoreMessagesResult | undefined> {
    let refusals = 0;
    return retryUntilStopped(
      () => this.storeMessages.execute({ messages, slots: this.dispatcher }),
      (error, backoffMs) => {
        refusals = isPermanentStoreError(error) ? refusals + 1 : 0;
        if (refusals >= (messages.length > 1 ? 1 : POISON_TRIES)) throw new PoisonedBatch(error);
        this.logger.warn(
          `storing ${messages.length} messages failed, retrying in ${backoffMs} ms: ${String(error)}`,
        );
      },
      () => this.stopped,
    );
  }
}

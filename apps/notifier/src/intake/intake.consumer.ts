import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { batchIds, messagesAccepted } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { HEADER_CATALOG_UNCHECKED, INTAKE_QUEUE } from '@app/contracts';
import { isPermanentStoreError } from '@app/dal';
import { AmqpConnection, QueueConsumer, type MessageHandler } from '@app/messaging';
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
import { BrokerUserBinding } from './broker-user-binding';
import { DeadLetters } from './dead-letters';
import { EventTypeCheck } from './event-type-check';
import { IntakeConfirmation } from './intake-confirmation';
import { LegacyIntake } from './legacy-intake';
import { parseIntakeMessage } from './parse-intake-message';
import { ack, propertiesOf, type Received } from './received';

const MAX_STORE_BACKOFF_MS = 10_000;
/** A message MongoDB refuses on its own is dead-lettered after this many tries. */
const POISON_TRIES = 3;

/** A message stored (or held back unconfirmed), with the id it was stored under. */
type Kept = { received: Received; message: IncomingMessage; messageId: string };

/** Storing failed because of the messages themselves: see isPermanentStoreError. */
class PoisonedBatch extends Error {
  constructor(readonly refusal: unknown) {
    super(`the batch cannot be stored: ${String(refusal)}`);
  }
}

/**
 * Where a message enters the notifier. Takes messages off the intake queue in batches: parses
 * each (parse-intake-message), checks the publishing broker user may speak for its app
 * (BrokerUserBinding) and the payload its app's event catalog (EventTypeCheck), stores the batch
 * in MongoDB (StoreMessagesUseCase, which also claims the deliveries it has slots for) and only
 * then acknowledges (what it wrote unconfirmed, once confirmed: ackOnceHeld); then hands the
 * claimed deliveries to the DeliveryDispatcher and kicks the DeliveryScheduler for the rest.
 * Unacceptable messages go to `notify.events.dead` with `x-error` (DeadLetters). While MongoDB is
 * down the batch is retried and nothing is acknowledged, so the prefetch window fills and the
 * broker keeps everything else.
 */
@Injectable()
export class IntakeConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(IntakeConsumer.name);
  private readonly consumer: QueueConsumer;
  private readonly legacy: LegacyIntake;
  private pending: Received[] = [];
  private storing = false;
  private startScheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Batches stored unconfirmed whose acknowledgement waits for their confirmation. */
  private readonly acking = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    connection: AmqpConnection,
    private readonly storeMessages: StoreMessagesUseCase,
    private readonly dispatcher: DeliveryDispatcher,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly scheduler: DeliveryScheduler,
    private readonly binding: BrokerUserBinding,
    private readonly deadLetters: DeadLetters,
    private readonly eventTypes: EventTypeCheck,
    private readonly confirmation: IntakeConfirmation,
  ) {
    const handler: MessageHandler = (message, channel, trace) =>
      this.receive({ message, channel, trace });
    this.consumer = new QueueConsumer(connection, INTAKE_QUEUE, config.intakePrefetch, handler);
    this.legacy = new LegacyIntake(connection, config.intakePrefetch, handler, () => this.idle());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    await this.legacy.start();
  }

  /** Stops taking messages and finishes the batch in hand (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.stop();
    await this.legacy.stop();
    await this.idle();
    await this.legacy.close();
    await this.consumer.close();
  }

  /** Resolves when every message taken is stored (and acknowledged) or dead-lettered. */
  private idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private get isIdle(): boolean {
    return !this.storing && this.pending.length === 0 && this.acking.size === 0;
  }

  private wakeIfIdle(): void {
    if (this.isIdle) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Messages taken off the queue that wait for a batch. */
  get waiting(): number {
    return this.pending.length;
  }

  private receive(received: Received): void {
    this.pending.push(received);
    if (this.startScheduled) return;
    this.startScheduled = true;
    // The rest of what arrived in the same read joins this batch.
    setImmediate(() => {
      this.startScheduled = false;
      this.startBatch();
    });
  }

  /**
   * Stores one batch at a time, in the order the messages were taken off the queue (the
   * broker's): keyed messages are numbered in arrival order (ADR 0013), and of two messages with
   * one idempotency key the first published is kept (CONTRACT: "the first message's id"). What
   * arrives while a batch is being stored waits and goes in the next one, so a batch costs its
   * round trips once for however many messages came meanwhile. Against four batches at once
   * (npm run bench, four interleaved pairs, means): 1,337/s against 1,216/s to one endpoint, at
   * 1.42 against 1.52 ms of CPU a delivery; p50 publish -> first attempt 28.5 against 32.8 ms at
   * 200 msg/s, 91 against 76 ms at 1,000 msg/s (each side 54-151 ms).
   */
  private startBatch(): void {
    if (this.storing || this.pending.length === 0) return;
    this.storing = true;
    const batch = this.pending.splice(0, this.config.intakeBatchSize);
    void this.store(
      batch.map((received) => ({
        received,
        parsed: parseIntakeMessage(received.message, this.config.intakeMaxMessageBytes),
      })),
    )
      .catch((error: unknown) => this.logger.error(`intake batch failed: ${String(error)}`))
      .finally(() => {
        this.storing = false;
        this.startBatch();
        this.wakeIfIdle();
      });
  }

  private async store(
    batch: { received: Received; parsed: ReturnType<typeof parseIntakeMessage> }[],
  ): Promise<void> {
    const parsedOk: { received: Received; message: IncomingMessage }[] = [];
    // Refused messages go to the dead-letter queue while the valid ones are stored: a flood of
    // garbage costs the valid messages beside it no extra round trip.
    const deadLettering: Promise<void>[] = [];
    for (const { received, parsed } of batch) {
      if (parsed.ok) parsedOk.push({ received, message: parsed.message });
      else
        deadLettering.push(this.deadLetters.deadLetter(received, parsed.reason, parsed.tooLarge));
    }
    const refusals = await this.refusals(parsedOk);
    if (refusals === undefined) {
      // Shutting down while MongoDB is away: left unacknowledged for the broker to redeliver.
      await Promise.all(deadLettering);
      return;
    }
    const accepted = parsedOk.filter((item, index) => {
      const refusal = refusals.get(index);
      if (refusal !== undefined)
        deadLettering.push(this.deadLetters.deadLetter(item.received, refusal));
      return refusal === undefined;
    });
    try {
      if (accepted.length > 0) await this.storeAndDispatch(accepted);
    } finally {
      await Promise.all(deadLettering);
    }
  }

  /**
   * The broker-user and event-type checks, retried while MongoDB is down (undefined: stopped
   * meanwhile).
   */
  private async refusals(
    items: { received: Received; message: IncomingMessage }[],
  ): Promise<Map<number, string> | undefined> {
    const fromBroker = items.map(({ received, message }) => {
      const { userId, headers } = propertiesOf(received.message);
      return {
        appId: message.appId,
        userId,
        catalogUnchecked: headers?.[HEADER_CATALOG_UNCHECKED] === true,
      };
    });
    for (let backoffMs = 250; ; backoffMs = Math.min(backoffMs * 2, MAX_STORE_BACKOFF_MS)) {
      try {
        const [bound, checked] = await Promise.all([
          this.binding.refusals(fromBroker),
          this.eventTypes.refusals(
            items.map((item) => item.message),
            fromBroker,
          ),
        ]);
        return new Map([...checked, ...bound]);
      } catch (error) {
        this.logger.warn(
          `reading broker-user bindings or event types failed, retrying in ${backoffMs} ms: ${String(error)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      if (this.stopped) return undefined;
    }
  }

  private async storeAndDispatch(
    accepted: { received: Received; message: IncomingMessage }[],
  ): Promise<void> {
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
        for (const item of accepted) await this.storeAndDispatch([item]);
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
        await this.storeAndDispatch(
          kept.map(({ received, message, messageId }) => ({
            received,
            message: { ...message, mintedId: undefined, assignedId: messageId },
          })),
        );
      })
      .catch((error: unknown) =>
        this.logger.error(`acknowledging stored messages failed: ${String(error)}`),
      )
      .finally(() => {
        this.acking.delete(acking);
        this.wakeIfIdle();
      });
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
    for (let backoffMs = 250; ; backoffMs = Math.min(backoffMs * 2, MAX_STORE_BACKOFF_MS)) {
      try {
        return await this.storeMessages.execute({ messages, slots: this.dispatcher });
      } catch (error) {
        refusals = isPermanentStoreError(error) ? refusals + 1 : 0;
        if (refusals >= (messages.length > 1 ? 1 : POISON_TRIES)) throw new PoisonedBatch(error);
        this.logger.warn(
          `storing ${messages.length} messages failed, retrying in ${backoffMs} ms: ${String(error)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      if (this.stopped) return undefined;
    }
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Channel, ConsumeMessage } from 'amqplib';

/** amqplib types these as `any`; this is what a consumed message's properties hold. */
interface MessageProperties {
  contentType?: string;
  messageId?: string;
  userId?: string;
  timestamp?: number;
  headers?: Record<string, unknown>;
}
import { Clock, messagesAccepted } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import {
  DEAD_LETTER_QUEUE,
  HEADER_APP_ID,
  HEADER_ERROR,
  HEADER_ORIGINAL_SIZE,
  INTAKE_QUEUE,
} from '@app/contracts';
import { RefusedDeadLetterRepository } from '@app/dal';
import { AmqpConnection, ConfirmPublisher, PublishError, QueueConsumer } from '@app/messaging';
import { traceStore, type TraceContext } from '@app/tracing';
import { DeliveryDispatcher } from '../deliver/delivery-dispatcher';
import { deliveryBatchFields } from '../deliver/log-fields';
import { DeliveryScheduler } from '../scheduler/delivery.scheduler';
import type {
  IncomingMessage,
  StoreMessagesResult,
} from '../store-messages/store-messages.command';
import { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import { BrokerUserBinding } from './broker-user-binding';
import { assignedMessageId, parseIntakeMessage } from './parse-intake-message';
import { isPermanentStoreError } from './store-errors';

interface Received {
  message: ConsumeMessage;
  channel: Channel;
  /** Its intake span's context, with tracing on: its store span is a child of it. */
  trace?: TraceContext | undefined;
}

const MAX_STORE_BACKOFF_MS = 10_000;
/** x-error is cut to this: a reason quoting a huge header must not make the copy unpublishable. */
const MAX_REASON_LENGTH = 1_000;
/**
 * What a dead-letter copy keeps of a body over the size limit: enough to see what it was, while
 * a hostile producer's huge bodies cost the broker (and the dead-letter queue's bound) nothing.
 */
const DEAD_LETTER_EXCERPT_BYTES = 4 * 1024;
/** A message MongoDB refuses on its own is dead-lettered after this many tries. */
const POISON_TRIES = 3;

/** Storing failed because of the messages themselves: see isPermanentStoreError. */
class PoisonedBatch extends Error {
  constructor(readonly refusal: unknown) {
    super(`the batch cannot be stored: ${String(refusal)}`);
  }
}
/**
 * Batches stored at once: the next one is written while the others wait for MongoDB, so at a low
 * rate a message seldom waits for the batches before it to be stored.
 */
const BATCHES_IN_FLIGHT = 4;

/**
 * Takes messages off the intake queue in batches, stores each batch in MongoDB, and only then
 * acknowledges. Unacceptable messages go to `notify.events.dead` with `x-error`. While MongoDB is
 * down the batch is retried and nothing is acknowledged, so the prefetch window fills and the
 * broker keeps everything else.
 */
@Injectable()
export class IntakeConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(IntakeConsumer.name);
  private readonly consumer: QueueConsumer;
  private pending: Received[] = [];
  private batchesInFlight = 0;
  private startScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    connection: AmqpConnection,
    private readonly publisher: ConfirmPublisher,
    private readonly storeMessages: StoreMessagesUseCase,
    private readonly dispatcher: DeliveryDispatcher,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly scheduler: DeliveryScheduler,
    private readonly refusedDeadLetters: RefusedDeadLetterRepository,
    private readonly clock: Clock,
    private readonly binding: BrokerUserBinding,
  ) {
    this.consumer = new QueueConsumer(
      connection,
      INTAKE_QUEUE,
      config.intakePrefetch,
      (message, channel, trace) => this.receive({ message, channel, trace }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  /** Stops taking messages and finishes the batch in hand (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.stop();
    if (this.batchesInFlight > 0 || this.pending.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.consumer.close();
  }

  private receive(received: Received): void {
    this.pending.push(received);
    if (this.startScheduled) return;
    this.startScheduled = true;
    // The rest of what arrived in the same read joins this batch.
    setImmediate(() => {
      this.startScheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.pending.length > 0 && this.batchesInFlight < BATCHES_IN_FLIGHT) {
      this.batchesInFlight += 1;
      void this.process(this.pending.splice(0, this.config.intakeBatchSize))
        .catch((error: unknown) => this.logger.error(`intake batch failed: ${String(error)}`))
        .finally(() => {
          this.batchesInFlight -= 1;
          this.startBatches();
          if (this.batchesInFlight === 0 && this.pending.length === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }

  private async process(batch: Received[]): Promise<void> {
    const parsedOk: { received: Received; message: IncomingMessage }[] = [];
    // Refused messages go to the dead-letter queue while the valid ones are stored: a flood of
    // garbage costs the valid messages beside it no extra round trip.
    const deadLettering: Promise<void>[] = [];
    for (const received of batch) {
      const parsed = parseIntakeMessage(received.message, this.config.intakeMaxMessageBytes);
      if (parsed.ok) parsedOk.push({ received, message: parsed.message });
      else deadLettering.push(this.deadLetter(received, parsed.reason, parsed.tooLarge));
    }
    const refusals = await this.bindingRefusals(parsedOk);
    if (refusals === undefined) {
      // Shutting down while MongoDB is away: left unacknowledged for the broker to redeliver.
      await Promise.all(deadLettering);
      return;
    }
    const accepted = parsedOk.filter((item, index) => {
      const refusal = refusals.get(index);
      if (refusal !== undefined) deadLettering.push(this.deadLetter(item.received, refusal));
      return refusal === undefined;
    });
    try {
      if (accepted.length > 0) await this.storeAndDispatch(accepted);
    } finally {
      await Promise.all(deadLettering);
    }
  }

  /** The broker-user check, retried while MongoDB is down (undefined: stopped meanwhile). */
  private async bindingRefusals(
    items: { received: Received; message: IncomingMessage }[],
  ): Promise<Map<number, string> | undefined> {
    const fromBroker = items.map(({ received, message }) => ({
      appId: message.appId,
      userId: (received.message.properties as MessageProperties).userId,
    }));
    for (let backoffMs = 250; ; backoffMs = Math.min(backoffMs * 2, MAX_STORE_BACKOFF_MS)) {
      try {
        return await this.binding.refusals(fromBroker);
      } catch (error) {
        this.logger.warn(
          `reading broker-user bindings failed, retrying in ${backoffMs} ms: ${String(error)}`,
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
        await this.deadLetter(
          accepted[0]!.received,
          `the message cannot be stored: ${String(error.refusal)}`,
        );
      }
      return;
    }
    if (stored === undefined) return;
    messagesAccepted.inc({ source: 'intake' }, stored.results.filter((r) => r.stored).length);
    const refused: Promise<void>[] = [];
    for (const [index, result] of stored.results.entries()) {
      const { received } = accepted[index]!;
      if (result.stored) ack(received);
      else refused.push(this.deadLetter(received, result.reason));
    }
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

  /** `cut`: the copy keeps only the body's first DEAD_LETTER_EXCERPT_BYTES and its full size. */
  private async deadLetter(received: Received, fullReason: string, cut = false): Promise<void> {
    const { message } = received;
    const content = cut ? message.content.subarray(0, DEAD_LETTER_EXCERPT_BYTES) : message.content;
    const size = cut ? { [HEADER_ORIGINAL_SIZE]: message.content.length } : {};
    const reason =
      fullReason.length > MAX_REASON_LENGTH
        ? `${fullReason.slice(0, MAX_REASON_LENGTH)}... (cut)`
        : fullReason;
    const properties = message.properties as MessageProperties;
    // Only a message the HTTP API published has an id yet; one refused here is never stored.
    const messageId = assignedMessageId(message);
    const fields = messageId === undefined ? {} : { messageId };
    const publish = (headers: Record<string, unknown>) =>
      this.publisher.publish('', DEAD_LETTER_QUEUE, content, {
        contentType:
          typeof properties.contentType === 'string' ? properties.contentType : undefined,
        messageId: typeof properties.messageId === 'string' ? properties.messageId : undefined,
        timestamp: typeof properties.timestamp === 'number' ? properties.timestamp : undefined,
        headers,
      });
    try {
      try {
        await publish({ ...properties.headers, [HEADER_ERROR]: reason, ...size });
      } catch (error) {
        // Connected, yet refused: the producer's headers cannot travel again (too large, or of a
        // type that does not encode back). Without them rather than never.
        if (!this.publisher.isReady) throw error;
        await publish({
          [HEADER_ERROR]: reason,
          ...size,
          'x-original-headers': 'dropped: could not be copied',
        });
      }
      ack(received);
      this.logger.warn({ ...fields, reason }, `message dead-lettered: ${reason}`);
    } catch (error) {
      if (error instanceof PublishError && error.refused) {
        await this.recordRefused(received, reason, fields);
        return;
      }
      // Left unacknowledged: the broker redelivers it once the channel is back.
      this.logger.warn(fields, `dead-lettering failed: ${String(error)}`);
    }
  }

  /**
   * The dead-letter queue refused the copy (full: its bound is overflow reject-publish). The
   * message is written down in MongoDB instead, then acknowledged: dropped, but not silently.
   * Should MongoDB fail too, it stays unacknowledged and comes back.
   */
  private async recordRefused(
    received: Received,
    reason: string,
    fields: { messageId?: string },
  ): Promise<void> {
    const { message } = received;
    const properties = message.properties as MessageProperties;
    const appId: unknown = properties.headers?.[HEADER_APP_ID];
    try {
      await this.refusedDeadLetters.record({
        appId: typeof appId === 'string' ? appId.slice(0, MAX_REASON_LENGTH) : null,
        reason,
        refusal: `${DEAD_LETTER_QUEUE} refused it (nack): the queue is full`,
        size: message.content.length,
        routingKey: message.fields.routingKey.slice(0, MAX_REASON_LENGTH),
        messageId:
          typeof properties.messageId === 'string'
            ? properties.messageId.slice(0, MAX_REASON_LENGTH)
            : null,
        refusedAt: this.clock.now(),
      });
    } catch (error) {
      this.logger.warn(fields, `recording a refused dead letter failed: ${String(error)}`);
      return;
    }
    ack(received);
    this.logger.error(
      { ...fields, reason },
      `${DEAD_LETTER_QUEUE} is full: refused message recorded in refused_dead_letters`,
    );
  }
}

/** A delivery tag is only valid on its channel; if that closed, the broker redelivers anyway. */
function ack({ message, channel }: Received): void {
  try {
    channel.ack(message);
  } catch {
    // channel closed
  }
}

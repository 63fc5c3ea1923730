import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Channel, ConsumeMessage } from 'amqplib';

/** amqplib types these as `any`; this is what a consumed message's properties hold. */
interface MessageProperties {
  contentType?: string;
  messageId?: string;
  timestamp?: number;
  headers?: Record<string, unknown>;
}
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DEAD_LETTER_QUEUE, HEADER_ERROR, INTAKE_QUEUE } from '@app/contracts';
import { AmqpConnection, ConfirmPublisher, QueueConsumer } from '@app/messaging';
import { DeliveryDispatcher } from '../deliver/delivery-dispatcher';
import type {
  IncomingMessage,
  StoreMessagesResult,
} from '../store-messages/store-messages.command';
import { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import { parseIntakeMessage } from './parse-intake-message';

interface Received {
  message: ConsumeMessage;
  channel: Channel;
}

const MAX_STORE_BACKOFF_MS = 10_000;

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
  private draining: Promise<void> | undefined;
  private stopped = false;

  constructor(
    connection: AmqpConnection,
    private readonly publisher: ConfirmPublisher,
    private readonly storeMessages: StoreMessagesUseCase,
    private readonly dispatcher: DeliveryDispatcher,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {
    this.consumer = new QueueConsumer(
      connection,
      INTAKE_QUEUE,
      config.intakePrefetch,
      (message, channel) => this.receive({ message, channel }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  /** Stops taking messages and finishes the batch in hand (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.stop();
    await this.draining;
    await this.consumer.close();
  }

  private receive(received: Received): void {
    this.pending.push(received);
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      await this.process(this.pending.splice(0, this.config.intakeBatchSize));
    }
  }

  private async process(batch: Received[]): Promise<void> {
    const accepted: { received: Received; message: IncomingMessage }[] = [];
    for (const received of batch) {
      const parsed = parseIntakeMessage(received.message);
      if (parsed.ok) accepted.push({ received, message: parsed.message });
      else await this.deadLetter(received, parsed.reason);
    }
    if (accepted.length === 0) return;
    const stored = await this.storeWithRetry(accepted.map((item) => item.message));
    if (stored === undefined) return;
    for (const [index, result] of stored.results.entries()) {
      const { received } = accepted[index]!;
      if (result.stored) ack(received);
      else await this.deadLetter(received, result.reason);
    }
    await this.dispatcher
      .dispatch(stored.claimed, stored.claimToken)
      .catch((error: unknown) =>
        this.logger.warn(`dispatching at intake failed: ${String(error)}`),
      );
  }

  /**
   * Keeps trying while MongoDB is down; gives up only at shutdown, leaving the messages
   * unacknowledged for the broker to deliver again.
   */
  private async storeWithRetry(
    messages: IncomingMessage[],
  ): Promise<StoreMessagesResult | undefined> {
    for (let backoffMs = 250; ; backoffMs = Math.min(backoffMs * 2, MAX_STORE_BACKOFF_MS)) {
      try {
        return await this.storeMessages.execute({
          messages,
          claimCapacity: this.dispatcher.freeSlots,
        });
      } catch (error) {
        this.logger.warn(
          `storing ${messages.length} messages failed, retrying in ${backoffMs} ms: ${String(error)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      if (this.stopped) return undefined;
    }
  }

  private async deadLetter(received: Received, reason: string): Promise<void> {
    const { message } = received;
    try {
      const properties = message.properties as MessageProperties;
      await this.publisher.publish('', DEAD_LETTER_QUEUE, message.content, {
        contentType: properties.contentType,
        messageId: properties.messageId,
        timestamp: properties.timestamp,
        headers: { ...properties.headers, [HEADER_ERROR]: reason },
      });
      ack(received);
    } catch (error) {
      // Left unacknowledged: the broker redelivers it once the channel is back.
      this.logger.warn(`dead-lettering failed: ${String(error)}`);
    }
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

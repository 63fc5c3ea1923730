import { Logger } from '@nestjs/common';
import type { Channel, ConsumeMessage } from 'amqplib';
import { handOff, type TraceContext } from '@app/tracing';
import type { AmqpConnection } from './amqp-connection';

/** `trace`: the message's own span (tracing on), for the work the handler does for it later. */
export type MessageHandler = (
  message: ConsumeMessage,
  channel: Channel,
  trace: TraceContext | undefined,
) => void;

/**
 * Consumes a queue with a bounded prefetch and starts again after every reconnect. The handler
 * owns acknowledgement, on the channel it was given (delivery tags die with their channel).
 */
export class QueueConsumer {
  private readonly logger = new Logger(QueueConsumer.name);
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private paused = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly queue: string,
    private readonly prefetch: number,
    private readonly handler: MessageHandler,
  ) {}

  async start(): Promise<void> {
    await this.connection.onConnected(async (model) => {
      const channel = await model.createChannel();
      channel.on('error', (error: Error) => this.logger.warn(`channel error: ${error.message}`));
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      await channel.prefetch(this.prefetch);
      this.channel = channel;
      if (!this.paused) await this.consume(channel);
    });
  }

  /** Stops taking new messages; unacknowledged ones stay with us until acked or the channel closes. */
  async stop(): Promise<void> {
    this.paused = true;
    const channel = this.channel;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (channel !== undefined && tag !== undefined)
      await channel.cancel(tag).catch(() => undefined);
  }

  /** Takes messages again after `stop`. */
  async resume(): Promise<void> {
    if (!this.paused) return;
    this.paused = false;
    if (this.channel !== undefined && this.consumerTag === undefined) {
      await this.consume(this.channel);
    }
  }

  async close(): Promise<void> {
    await this.stop();
    await this.channel?.close().catch(() => undefined);
  }

  private async consume(channel: Channel): Promise<void> {
    const { consumerTag } = await channel.consume(this.queue, (message) => {
      if (message !== null) handOff((trace) => this.handler(message, channel, trace));
    });
    this.consumerTag = consumerTag;
  }
}

import type { ConfirmChannel, Options } from 'amqplib';
import type { AmqpConnection } from './amqp-connection';

export class PublishError extends Error {
  /**
   * `refused`: the broker answered with a nack (e.g. the target queue is full, overflow
   * reject-publish); publishing it again now would be refused again. Otherwise the outcome is
   * unknown (no connection, no confirm in time).
   */
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * Publishes on a confirm channel: `publish` resolves only once the broker has taken
 * responsibility for the message, and rejects (PublishError) when it did not, so a caller never
 * reports an unconfirmed message as sent.
 */
export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined;

  constructor(
    connection: AmqpConnection,
    private readonly timeoutMs: number,
  ) {
    void connection.onConnected(async (model) => {
      const channel = await model.createConfirmChannel();
      channel.on('error', () => undefined);
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      this.channel = channel;
    });
  }

  get isReady(): boolean {
    return this.channel !== undefined;
  }

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    const channel = this.channel;
    if (channel === undefined) {
      return Promise.reject(new PublishError('not connected to RabbitMQ'));
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new PublishError(`no broker confirm within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const settle = (error: unknown) => {
        clearTimeout(timer);
        if (error) reject(new PublishError('the broker refused the message (nack)', true));
        else resolve();
      };
      try {
        channel.publish(exchange, routingKey, content, { persistent: true, ...options }, settle);
      } catch (error) {
        clearTimeout(timer);
        reject(new PublishError(`publish failed: ${(error as Error).message}`));
      }
    });
  }
}

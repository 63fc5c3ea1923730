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
 * reports an unconfirmed message as sent. A publish made while the connection is failing over to
 * another broker waits for it, within the same timeout, instead of failing at once.
 */
export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined;
  /** Publishes waiting for the channel of the next connection. */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly timeoutMs: number,
  ) {
    void connection.onConnected(async (model) => {
      const channel = await model.createConfirmChannel();
      channel.on('error', () => undefined);
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      this.channel = channel;
      for (const wake of this.waiting) wake();
    });
  }

  get isReady(): boolean {
    return this.channel !== undefined;
  }

  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const channel =
      this.channel ??
      (this.connection.isFailingOver ? await this.nextChannel(this.timeoutMs) : undefined);
    if (channel === undefined) throw new PublishError('not connected to RabbitMQ');
    const timeoutMs = Math.max(0, deadline - Date.now());
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new PublishError(`no broker confirm within ${this.timeoutMs} ms`)),
        timeoutMs,
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

  /** The channel of the next connection, or undefined if there is none within `timeoutMs`. */
  private nextChannel(timeoutMs: number): Promise<ConfirmChannel | undefined> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve(this.channel);
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiting.add(wake);
    });
  }
}

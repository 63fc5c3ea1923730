import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { AmqpConnection } from './amqp-connection';

/**
 * A channel is replaced after a nack at most this often: a queue that refuses everything (a full
 * dead-letter queue, filled by an app's garbage) must not cost a channel per refused message.
 */
const RENEW_INTERVAL_MS = 1_000;

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
 *
 * After a nack the channel is replaced: RabbitMQ 3.10's quorum-queue client on a channel that
 * first publishes while the queue's leader node is down keeps asking that node, and refuses
 * every publish on that channel until the node is back, though the queue has a new leader; a
 * fresh channel finds the new leader (test/chaos/stale-leader.chaos-spec.ts).
 */
export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined;
  private model: ChannelModel | undefined;
  private renewedAt = Number.NEGATIVE_INFINITY;
  /** Publishes waiting for the channel of the next connection. */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly timeoutMs: number,
  ) {
    void connection.onConnected(async (model) => {
      this.model = model;
      this.channel = await this.open(model);
      for (const wake of this.waiting) wake();
    });
  }

  private async open(model: ChannelModel): Promise<ConfirmChannel> {
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    return channel;
  }

  /**
   * Publishes go on a fresh channel of the same connection from now on; the refused one is
   * closed once the publishes still waiting on it are settled, or had their time.
   */
  private renew(refused: ConfirmChannel): void {
    const model = this.model;
    const now = Date.now();
    if (this.channel !== refused || model === undefined) return;
    if (now - this.renewedAt < RENEW_INTERVAL_MS) return;
    this.renewedAt = now;
    this.open(model)
      .then((fresh) => {
        if (this.channel === refused) this.channel = fresh;
        else void fresh.close().catch(() => undefined);
        const waited = new Promise((resolve) => setTimeout(resolve, this.timeoutMs).unref());
        void Promise.race([refused.waitForConfirms().catch(() => undefined), waited]).then(() =>
          refused.close().catch(() => undefined),
        );
      })
      // The connection is going: its replacement brings a channel of its own.
      .catch(() => undefined);
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
        if (error) {
          this.renew(channel);
          reject(new PublishError('the broker refused the message (nack)', true));
        } else resolve();
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

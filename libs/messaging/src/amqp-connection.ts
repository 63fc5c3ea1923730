import { Logger } from '@nestjs/common';
import { connect, type Channel, type ChannelModel } from 'amqplib';

type ConnectedHandler = (connection: ChannelModel) => Promise<void>;

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

/**
 * One AMQP connection that comes back by itself: after a broker restart or a network cut it
 * reconnects with exponential backoff and runs every registered `onConnected` handler again
 * (topology, publisher channel, consumers), so the rest of the code never deals with reconnects.
 */
export class AmqpConnection {
  private readonly logger: Logger;
  private readonly handlers: ConnectedHandler[] = [];
  private connection: ChannelModel | undefined;
  private closing = false;
  private backoffMs = MIN_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly name: string,
  ) {
    this.logger = new Logger(`AmqpConnection:${name}`);
  }

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  /** Registers a handler for every (re)connection; runs it now if already connected. */
  async onConnected(handler: ConnectedHandler): Promise<void> {
    this.handlers.push(handler);
    if (this.connection !== undefined) await handler(this.connection);
  }

  /**
   * Runs `use` on a channel of its own, closed afterwards. Undefined when not connected or when
   * the broker refused what `use` asked (which closes the channel: a missing queue, say).
   */
  async withChannel<T>(use: (channel: Channel) => Promise<T>): Promise<T | undefined> {
    const connection = this.connection;
    if (connection === undefined) return undefined;
    const channel = await connection.createChannel().catch(() => undefined);
    if (channel === undefined) return undefined;
    channel.on('error', () => undefined);
    try {
      return await use(channel);
    } catch {
      return undefined;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Resolves once connected for the first time; keeps retrying in the background until then. */
  async start(): Promise<void> {
    this.closing = false;
    while (!this.closing && this.connection === undefined) {
      if (await this.tryConnect()) return;
      await sleep(this.nextBackoff());
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  private async tryConnect(): Promise<boolean> {
    let connection: ChannelModel;
    try {
      connection = await connect(this.url, {
        heartbeat: 10,
        clientProperties: { connection_name: this.name },
      });
    } catch (error) {
      this.logger.warn(`cannot connect to RabbitMQ: ${(error as Error).message}`);
      return false;
    }
    connection.on('error', (error: Error) =>
      this.logger.warn(`connection error: ${error.message}`),
    );
    connection.on('close', () => this.onClosed(connection));
    try {
      for (const handler of this.handlers) await handler(connection);
      // Published only once set up, so nobody sees a connection without its topology.
      this.connection = connection;
    } catch (error) {
      this.logger.error(`setting up after connect failed: ${(error as Error).message}`);
      await connection.close().catch(() => undefined);
      return false;
    }
    this.backoffMs = MIN_BACKOFF_MS;
    this.logger.log('connected to RabbitMQ');
    return true;
  }

  private onClosed(connection: ChannelModel): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (this.closing) return;
    this.logger.warn('connection to RabbitMQ lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retryTimer = setTimeout(() => {
      void this.tryConnect().then((connected) => {
        if (!connected && !this.closing) this.scheduleReconnect();
      });
    }, this.nextBackoff());
  }

  private nextBackoff(): number {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    return delay;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import { Logger } from '@nestjs/common';
import { connect, type ChannelModel } from 'amqplib';
import { brokersToTry } from '@app/contracts';

type ConnectedHandler = (connection: ChannelModel) => Promise<void>;

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A broker that neither accepts nor refuses (a dead host, a dropped packet) is skipped after this. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * One AMQP connection that comes back by itself, to one of the brokers of `urls` (AMQP_URL: the
 * nodes of one cluster). It connects to the first that answers; when the connection drops (a
 * broker restart, a node stopped, a network cut) it tries the others, the lost one last, in rounds
 * with exponential backoff between them, and runs every registered `onConnected` handler again on
 * the new connection (topology, publisher channel, consumers), so the rest of the code never deals
 * with reconnects.
 */
export class AmqpConnection {
  private readonly logger: Logger;
  private readonly urls: readonly string[];
  private readonly handlers: ConnectedHandler[] = [];
  private connection: ChannelModel | undefined;
  private closing = false;
  private backoffMs = MIN_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private connectedTo: number | undefined;

  constructor(
    urls: string | readonly string[],
    private readonly name: string,
  ) {
    this.urls = typeof urls === 'string' ? [urls] : urls;
    this.logger = new Logger(`AmqpConnection:${name}`);
  }

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  /** `host:port` of the broker in use (no credentials), for health answers and logs. */
  get broker(): string | undefined {
    return this.connectedTo === undefined ? undefined : hostOf(this.urls[this.connectedTo]!);
  }

  /** Registers a handler for every (re)connection; runs it now if already connected. */
  async onConnected(handler: ConnectedHandler): Promise<void> {
    this.handlers.push(handler);
    if (this.connection !== undefined) await handler(this.connection);
  }

  /** Resolves once connected for the first time; keeps retrying in the background until then. */
  async start(): Promise<void> {
    this.closing = false;
    while (!this.closing && this.connection === undefined) {
      if (await this.tryConnect(undefined)) return;
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

  /** One round over the brokers, `lost` (the one whose connection just dropped) last. */
  private async tryConnect(lost: number | undefined): Promise<boolean> {
    for (const index of brokersToTry(this.urls, lost)) {
      if (this.closing) return false;
      if (await this.tryBroker(index)) return true;
    }
    return false;
  }

  private async tryBroker(index: number): Promise<boolean> {
    const host = hostOf(this.urls[index]!);
    let connection: ChannelModel;
    try {
      connection = await connect(this.urls[index]!, {
        heartbeat: 10,
        timeout: CONNECT_TIMEOUT_MS,
        clientProperties: { connection_name: this.name },
      });
    } catch (error) {
      this.logger.warn(`cannot connect to RabbitMQ at ${host}: ${(error as Error).message}`);
      return false;
    }
    connection.on('error', (error: Error) =>
      this.logger.warn(`connection error (${host}): ${error.message}`),
    );
    connection.on('close', () => this.onClosed(connection, index));
    try {
      for (const handler of this.handlers) await handler(connection);
      // Published only once set up, so nobody sees a connection without its topology.
      this.connection = connection;
      this.connectedTo = index;
    } catch (error) {
      this.logger.error(`setting up after connect to ${host} failed: ${(error as Error).message}`);
      await connection.close().catch(() => undefined);
      return false;
    }
    this.backoffMs = MIN_BACKOFF_MS;
    this.logger.log(`connected to RabbitMQ at ${host}`);
    return true;
  }

  private onClosed(connection: ChannelModel, index: number): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.connectedTo = undefined;
    if (this.closing) return;
    this.logger.warn(`connection to RabbitMQ at ${hostOf(this.urls[index]!)} lost; reconnecting`);
    this.scheduleReconnect(index);
  }

  private scheduleReconnect(lost: number): void {
    this.retryTimer = setTimeout(() => {
      void this.tryConnect(lost).then((connected) => {
        if (!connected && !this.closing) this.scheduleReconnect(lost);
      });
    }, this.nextBackoff());
  }

  private nextBackoff(): number {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    return delay;
  }
}

function hostOf(url: string): string {
  return new URL(url).host;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { EVENTS_EXCHANGE, HEADER_APP_ID } from '@app/contracts';
import { preciseNow } from './webhook-sink';

/** Where a benchmark message goes: the platform's exchange, or the naive pipeline's queue. */
export interface Target {
  exchange: string;
  routingKey: (eventType: string) => string;
}

export const PLATFORM: Target = { exchange: EVENTS_EXCHANGE, routingKey: (eventType) => eventType };
export const naiveQueue = (queue: string): Target => ({ exchange: '', routingKey: () => queue });

export interface Batch {
  target: Target;
  appId: string;
  eventType: string;
  /** Tags every payload, so the sink counts arrivals per phase. */
  phase: string;
  /** Messages carry an orderingKey, one of this many (`seq` modulo it). */
  orderingKeys?: number;
}

/** A producer as CONTRACT.md asks for: persistent messages on a confirm channel. */
export class Publisher {
  private nacks = 0;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(url: string): Promise<Publisher> {
    const connection = await connect(url);
    const channel = await connection.createConfirmChannel();
    // A lost connection fails the next publish (and the run) instead of crashing the process.
    connection.on('error', () => undefined);
    channel.on('error', () => undefined);
    return new Publisher(connection, channel);
  }

  get nacked(): number {
    return this.nacks;
  }

  /** Publishes `count` messages as fast as the broker takes them; resolves once all are confirmed. */
  async burst(batch: Batch, count: number, onProgress?: (sent: number) => void): Promise<void> {
    for (let seq = 0; seq < count; seq++) {
      await this.publish(batch, seq);
      if (onProgress !== undefined && seq % 1000 === 999) onProgress(seq + 1);
    }
    await this.channel.waitForConfirms();
  }

  /** Publishes at a steady `ratePerSecond` for `durationMs`; each payload carries its send time. */
  async paced(batch: Batch, ratePerSecond: number, durationMs: number): Promise<number> {
    const total = Math.round((ratePerSecond * durationMs) / 1000);
    const started = preciseNow();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((preciseNow() - started) * ratePerSecond) / 1000));
      while (sent < due) await this.publish(batch, sent++);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await this.channel.waitForConfirms();
    return total;
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }

  private async publish(batch: Batch, seq: number): Promise<void> {
    const body = Buffer.from(
      JSON.stringify({
        eventType: batch.eventType,
        payload: payloadFor(batch.phase, seq),
        ...(batch.orderingKeys === undefined
          ? {}
          : { orderingKey: `key-${seq % batch.orderingKeys}` }),
      }),
    );
    const accepted = this.channel.publish(
      batch.target.exchange,
      batch.target.routingKey(batch.eventType),
      body,
      {
        persistent: true,
        contentType: 'application/json',
        headers: { [HEADER_APP_ID]: batch.appId },
      },
      (error) => {
        if (error) this.nacks += 1;
      },
    );
    if (!accepted) await new Promise((resolve) => this.channel.once('drain', resolve));
  }
}

/** A plausible order event of about 300 bytes; `sentAt` is the publish time. */
function payloadFor(phase: string, seq: number): Record<string, unknown> {
  return {
    phase,
    seq,
    sentAt: preciseNow(),
    order: {
      id: `ord_${phase}_${seq}`,
      amount: 1999 + (seq % 100),
      currency: 'EUR',
      customer: { id: `cus_${seq % 5000}`, email: `customer${seq % 5000}@example.com` },
      items: [
        { sku: 'SKU-1', quantity: 1, price: 999 },
        { sku: 'SKU-2', quantity: 2, price: 500 },
      ],
    },
  };
}

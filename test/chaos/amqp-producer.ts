import { connect, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { EVENTS_EXCHANGE } from '@app/contracts';
import { sleep } from './run-support';

/** One message for the events exchange: its routing key (the event type), body and properties. */
export interface Publishable {
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** A batch the broker has not confirmed by then is published again, on a new connection. */
const CONFIRM_TIMEOUT_MS = 10_000;

/**
 * A producer on a confirm channel that reconnects and republishes what was not confirmed, as one
 * that must not lose a message would: raw amqplib, so that what it sends is exactly what the test
 * gives (no message id where none is given, unlike the SDK's publisher). Given a broker list, each
 * reconnection goes to the next node. After close, a batch not yet confirmed is given up.
 */
export class AmqpProducer {
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private next = 0;
  private closed = false;
  lastConfirmedAt = 0;
  /** Batches published again, and the messages in them. */
  retries = 0;
  republished = 0;

  constructor(private readonly urls: string | readonly string[]) {}

  /** Resolves once the broker confirmed the whole batch; false if closed before it did. */
  async publish(batch: readonly Publishable[]): Promise<boolean> {
    while (!this.closed) {
      try {
        const channel = await this.open();
        for (const item of batch) {
          channel.publish(EVENTS_EXCHANGE, item.routingKey, item.content, {
            persistent: true,
            ...item.options,
          });
        }
        await withTimeout(channel.waitForConfirms(), CONFIRM_TIMEOUT_MS);
        this.lastConfirmedAt = Date.now();
        return true;
      } catch {
        // Not confirmed: not sent. Reconnect and publish the whole batch again.
        this.retries += 1;
        this.republished += batch.length;
        await this.reset();
        await sleep(300);
      }
    }
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reset();
  }

  private async open(): Promise<ConfirmChannel> {
    if (this.channel !== undefined) return this.channel;
    const urls = typeof this.urls === 'string' ? [this.urls] : this.urls;
    const model = await connect(urls[this.next++ % urls.length]!);
    model.on('error', () => undefined);
    model.on('close', () => {
      if (this.model === model) {
        this.model = undefined;
        this.channel = undefined;
      }
    });
    this.model = model;
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    this.channel = channel;
    return channel;
  }

  private async reset(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    await model?.close().catch(() => undefined);
  }
}

/**
 * Publishes `count` messages, the i-th once `dueAt(i, count)` has passed: what is due every 100 ms
 * goes as one batch, confirmed before the next. Stops early when the producer is closed.
 */
export async function producePaced(
  producer: AmqpProducer,
  count: number,
  dueAt: (i: number, count: number) => number,
  item: (i: number) => { eventType: string; payload: object; options: Options.Publish },
): Promise<void> {
  for (let i = 0; i < count;) {
    const batch: Publishable[] = [];
    while (i < count && dueAt(i, count) <= Date.now()) {
      const { eventType, payload, options } = item(i);
      const content = Buffer.from(JSON.stringify({ eventType, payload }));
      batch.push({ routingKey: eventType, content, options });
      i += 1;
    }
    if (batch.length === 0) await sleep(100);
    else if (!(await producer.publish(batch))) return;
  }
}

/** Rejects if `promise` has not settled within `ms`; leaves no timer behind either way. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

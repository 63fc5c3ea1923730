import { randomUUID } from 'node:crypto';
import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import {
  brokersToTry,
  EVENTS_EXCHANGE,
  HEADER_APP_ID,
  parseBrokerUrls,
  type PublishMessage,
} from '@app/contracts';
import { backoffDelay, consoleLogger, sleep, type SdkLogger } from '../backoff';
import { UnconfirmedPublishError } from '../errors';
import { platformMessageId, validateMessage } from '../message-id';

/** A channel is replaced after a nack at most this often (see retire). */
const RETIRE_INTERVAL_MS = 1_000;

export interface AmqpPublisherOptions {
  /**
   * e.g. `amqp://guest:guest@127.0.0.1:5672`; or the nodes of a cluster, as a list or a
   * comma-separated string like the platform's AMQP_URL: the first that answers is used, the
   * others when its connection drops (one user and vhost for all).
   */
  url: string | readonly string[];
  /** Your app's id on the platform (the `x-app-id` header). */
  appId: string;
  /** How long to wait for the broker's confirm of one publish (or one batch); default 10 s. */
  confirmTimeoutMs?: number;
  /** `publish` tries this many times in all before it throws; default 5. */
  attempts?: number;
  /** Backoff between tries: first delay, doubling up to the max (with jitter); 200 ms .. 5 s. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Shown in the broker's connection list. */
  connectionName?: string;
  logger?: SdkLogger;
}

export interface PublishReceipt {
  /** The AMQP `messageId` property sent: the platform's idempotency key unless the body has one. */
  amqpMessageId: string;
  /** The id the platform stores the message under (GET /v1/messages/:id). */
  messageId: string;
}

export interface BatchItem {
  message: PublishMessage;
  /** Fixed by the caller (e.g. an outbox record id), the same on every replay. */
  amqpMessageId: string;
}

export type BatchOutcome = { ok: true; receipt: PublishReceipt } | { ok: false; error: Error };

/**
 * Publishes to the platform's `notify.events` exchange on a confirm channel, as CONTRACT.md asks:
 * persistent, routing key = event type, header `x-app-id`, `mandatory` so an unroutable message
 * counts as not sent. `publish` resolves only once the broker confirmed the message, retries with
 * backoff (reconnecting as needed), and throws UnconfirmedPublishError when it never was.
 *
 * Every publish carries an AMQP `messageId`, the same on each retry, which the platform uses as
 * the idempotency key: a retry after a lost confirm cannot deliver the message twice.
 */
export class AmqpPublisher {
  private readonly confirmTimeoutMs: number;
  private readonly attempts: number;
  private readonly backoff: { initialDelayMs: number; maxDelayMs: number };
  private readonly logger: SdkLogger;
  private readonly urls: readonly string[];
  private connection: ChannelModel | undefined;
  /** The broker whose connection dropped last: the next connect tries it last. */
  private lost: number | undefined;
  private channel: ConfirmChannel | undefined;
  private opening: Promise<ConfirmChannel> | undefined;
  private retiredAt = Number.NEGATIVE_INFINITY;
  /** Per channel: message ids the broker returned as unroutable. */
  private readonly returned = new WeakMap<ConfirmChannel, Set<string>>();
  private closed = false;

  constructor(private readonly options: AmqpPublisherOptions) {
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
    this.attempts = Math.max(1, options.attempts ?? 5);
    this.backoff = {
      initialDelayMs: options.initialDelayMs ?? 200,
      maxDelayMs: options.maxDelayMs ?? 5_000,
    };
    this.logger = options.logger ?? consoleLogger;
    try {
      this.urls = parseBrokerUrls(options.url);
    } catch (error) {
      throw new Error(`AmqpPublisher url: ${(error as Error).message}`);
    }
  }

  get appId(): string {
    return this.options.appId;
  }

  /**
   * Publishes one message and waits for the broker's confirm, retrying on failure. Pass
   * `amqpMessageId` to fix the idempotency key yourself; otherwise a random one is used.
   */
  async publish(
    message: PublishMessage,
    options: { amqpMessageId?: string } = {},
  ): Promise<PublishReceipt> {
    const item: BatchItem = {
      message: validateMessage(message),
      amqpMessageId: options.amqpMessageId ?? randomUUID(),
    };
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, this.backoff));
      const [outcome] = await this.publishBatch([item]);
      if (outcome?.ok) return outcome.receipt;
      lastError = outcome?.error;
      if (attempt < this.attempts) {
        this.logger.warn(`publish attempt ${attempt} not confirmed: ${lastError?.message}`);
      }
    }
    throw new UnconfirmedPublishError(
      `the broker did not confirm the message after ${this.attempts} attempts: ${lastError?.message}`,
      { cause: lastError },
    );
  }

  /**
   * One try for each item, all on one channel, then one wait for their confirms. Never throws:
   * each item's outcome says whether the broker confirmed it. (The outbox relay uses this.)
   */
  async publishBatch(items: readonly BatchItem[]): Promise<BatchOutcome[]> {
    if (items.length === 0) return [];
    let channel: ConfirmChannel;
    try {
      channel = await this.getChannel();
    } catch (error) {
      return items.map(() => ({ ok: false, error: asError(error) }));
    }
    const confirmed = (async () => {
      const confirms: Promise<BatchOutcome>[] = [];
      for (const item of items) {
        const { confirmed, writable } = this.publishOne(channel, item);
        confirms.push(confirmed);
        // The socket's buffer is full: let it drain before writing more.
        if (!writable) await waitForDrain(channel);
      }
      return Promise.all(confirms);
    })();
    return this.withTimeout(channel, confirmed, items.length);
  }

  private publishOne(
    channel: ConfirmChannel,
    item: BatchItem,
  ): { confirmed: Promise<BatchOutcome>; writable: boolean } {
    const receipt = this.receiptFor(item);
    let writable = true;
    const confirmed = new Promise<BatchOutcome>((resolve) => {
      try {
        writable = channel.publish(
          EVENTS_EXCHANGE,
          item.message.eventType,
          Buffer.from(JSON.stringify(item.message)),
          {
            persistent: true,
            mandatory: true,
            contentType: 'application/json',
            messageId: item.amqpMessageId,
            headers: { [HEADER_APP_ID]: this.options.appId },
          },
          (error: unknown) => {
            // With `mandatory`, the broker sends basic.return before the ack of the same message.
            if (error) {
              this.retire(channel);
              resolve({ ok: false, error: nackError(error) });
            } else if (this.returned.get(channel)?.delete(item.amqpMessageId))
              resolve({ ok: false, error: unroutableError(item.message.eventType) });
            else resolve({ ok: true, receipt });
          },
        );
      } catch (error) {
        resolve({ ok: false, error: asError(error) });
      }
    });
    return { confirmed, writable };
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => undefined);
  }

  private receiptFor(item: BatchItem): PublishReceipt {
    return {
      amqpMessageId: item.amqpMessageId,
      messageId: platformMessageId(
        this.options.appId,
        item.message.idempotencyKey ?? item.amqpMessageId,
      ),
    };
  }

  /**
   * A batch whose confirms do not all arrive in time is failed as a whole, and its channel
   * dropped (confirms that come later belong to nobody); the next publish opens a fresh one.
   */
  private async withTimeout(
    channel: ConfirmChannel,
    confirms: Promise<BatchOutcome[]>,
    count: number,
  ): Promise<BatchOutcome[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<BatchOutcome[]>((resolve) => {
      timer = setTimeout(() => {
        this.dropChannel(channel);
        const error = new Error(`no broker confirm within ${this.confirmTimeoutMs} ms`);
        resolve(Array.from({ length: count }, () => ({ ok: false, error })));
      }, this.confirmTimeoutMs);
    });
    try {
      return await Promise.race([confirms, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async getChannel(): Promise<ConfirmChannel> {
    if (this.closed) throw new Error('the publisher is closed');
    if (this.channel !== undefined) return this.channel;
    this.opening ??= this.openChannel().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async openChannel(): Promise<ConfirmChannel> {
    this.connection ??= await this.connectToFirst();
    const channel = await this.connection.createConfirmChannel();
    // A channel error (e.g. the exchange does not exist) closes it; pending confirms then fail.
    channel.on('error', (error: Error) => this.logger.warn(`AMQP channel error: ${error.message}`));
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    const returned = new Set<string>();
    channel.on('return', (message: ConsumeMessage) => {
      const id: unknown = message.properties.messageId;
      if (typeof id === 'string') returned.add(id);
    });
    this.returned.set(channel, returned);
    this.channel = channel;
    return channel;
  }

  /** The first broker that answers, the one whose connection dropped last tried last. */
  private async connectToFirst(): Promise<ChannelModel> {
    let lastError: unknown;
    for (const index of brokersToTry(this.urls, this.lost)) {
      let connection: ChannelModel;
      try {
        connection = await connect(this.urls[index]!, {
          // Detects a dead TCP connection (a silent network cut) within ~20 s.
          heartbeat: 10,
          // A broker that neither accepts nor refuses is skipped after this.
          timeout: 5_000,
          clientProperties: { connection_name: this.options.connectionName ?? 'notify-client' },
        });
      } catch (error) {
        lastError = error;
        this.logger.warn(
          `AMQP: cannot connect to ${new URL(this.urls[index]!).host}: ${asError(error).message}`,
        );
        continue;
      }
      connection.on('error', (error: Error) =>
        this.logger.warn(`AMQP connection error: ${error.message}`),
      );
      connection.on('close', () => {
        if (this.connection === connection) {
          this.connection = undefined;
          this.channel = undefined;
          this.lost = index;
        }
      });
      return connection;
    }
    throw asError(lastError);
  }

  /**
   * After a nack the next batch opens a fresh channel (at most once a second, so that a queue
   * refusing everything does not cost a channel per message): RabbitMQ 3.10's quorum-queue client
   * on a channel that first published while the queue's leader node was down keeps asking that
   * node, refusing every publish on the channel until the node is back, though the queue has a
   * new leader. This one is closed once the rest of its batch is confirmed (or timed out).
   */
  private retire(channel: ConfirmChannel): void {
    const now = Date.now();
    if (this.channel !== channel || now - this.retiredAt < RETIRE_INTERVAL_MS) return;
    this.retiredAt = now;
    this.channel = undefined;
    void channel
      .waitForConfirms()
      .catch(() => undefined)
      .then(() => this.dropChannel(channel));
  }

  private dropChannel(channel: ConfirmChannel): void {
    if (this.channel === channel) this.channel = undefined;
    void channel.close().catch(() => undefined);
  }
}

function waitForDrain(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    channel.once('drain', resolve);
    channel.once('close', resolve);
  });
}

function nackError(error: unknown): Error {
  const message = asError(error).message;
  return new Error(
    message === 'message nacked'
      ? 'the broker refused the message (nack)'
      : `not confirmed: ${message}`,
  );
}

function unroutableError(routingKey: string): Error {
  return new Error(
    `unroutable: no queue is bound to ${EVENTS_EXCHANGE} for "${routingKey}" (is the notifier running on this broker and vhost?)`,
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { HEADER_CATALOG_UNCHECKED, INTAKE_QUEUE } from '@app/contracts';
import { AmqpConnection, QueueConsumer, type MessageHandler } from '@app/messaging';
import { AcceptedMessages, type Accepted } from './accepted-messages';
import { BrokerUserBinding } from './broker-user-binding';
import { DeadLetters } from './dead-letters';
import { EventTypeCheck } from './event-type-check';
import { LegacyIntake } from './legacy-intake';
import { parseIntakeMessage } from './parse-intake-message';
import { propertiesOf, type Received } from './received';
import { retryUntilStopped } from './retry-until-stopped';

/**
 * Where a message enters the notifier. Takes messages off the intake queue in batches: parses
 * each (parse-intake-message), checks the publishing broker user may speak for its app
 * (BrokerUserBinding) and the payload its app's event catalog (EventTypeCheck), and hands what
 * it accepts to AcceptedMessages, which stores, acknowledges and dispatches it. Unacceptable
 * messages go to `notify.events.dead` with `x-error` (DeadLetters). While MongoDB is down the
 * batch is retried and nothing is acknowledged, so the prefetch window fills and the broker keeps
 * everything else.
 */
@Injectable()
export class IntakeConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(IntakeConsumer.name);
  private readonly consumer: QueueConsumer;
  private readonly legacy: LegacyIntake;
  private pending: Received[] = [];
  private storing = false;
  private startScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    connection: AmqpConnection,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly binding: BrokerUserBinding,
    private readonly eventTypes: EventTypeCheck,
    private readonly deadLetters: DeadLetters,
    private readonly accepted: AcceptedMessages,
  ) {
    const handler: MessageHandler = (message, channel, trace) =>
      this.receive({ message, channel, trace });
    this.consumer = new QueueConsumer(connection, INTAKE_QUEUE, config.intakePrefetch, handler);
    this.legacy = new LegacyIntake(connection, config.intakePrefetch, handler, () => this.idle());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    await this.legacy.start();
  }

  /** Stops taking messages and finishes the batch in hand (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.accepted.stop();
    await this.consumer.stop();
    await this.legacy.stop();
    await this.idle();
    await this.legacy.close();
    await this.consumer.close();
  }

  /** Resolves when every message taken is stored (and acknowledged) or dead-lettered. */
  private async idle(): Promise<void> {
    if (!this.isIdle) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.accepted.settled();
  }

  /** No batch being stored, none waiting. */
  private get isIdle(): boolean {
    return !this.storing && this.pending.length === 0;
  }

  private wakeIfIdle(): void {
    if (this.isIdle) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Messages taken off the queue that wait for a batch. */
  get waiting(): number {
    return this.pending.length;
  }

  private receive(received: Received): void {
    this.pending.push(received);
    if (this.startScheduled) return;
    this.startScheduled = true;
    // The rest of what arrived in the same read joins this batch.
    setImmediate(() => {
      this.startScheduled = false;
      this.startBatch();
    });
  }

  /**
   * Stores one batch at a time, in the order the messages were taken off the queue (the
   * broker's): keyed messages are numbered in arrival order (ADR 0013), and of two messages with
   * one idempotency key the first published is kept (CONTRACT: "the first message's id"). What
   * arrives while a batch is being stored waits and goes in the next one, so a batch costs its
   * round trips once for however many messages came meanwhile. Against four batches at once
   * (npm run bench, four interleaved pairs, means): 1,337/s against 1,216/s to one endpoint, at
   * 1.42 against 1.52 ms of CPU a delivery; p50 publish -> first attempt 28.5 against 32.8 ms at
   * 200 msg/s, 91 against 76 ms at 1,000 msg/s (each side 54-151 ms).
   */
  private startBatch(): void {
    if (this.storing || this.pending.length === 0) return;
    this.storing = true;
    const batch = this.pending.splice(0, this.config.intakeBatchSize);
    void this.store(
      batch.map((received) => ({
        received,
        parsed: parseIntakeMessage(received.message, this.config.intakeMaxMessageBytes),
      })),
    )
      .catch((error: unknown) => this.logger.error(`intake batch failed: ${String(error)}`))
      .finally(() => {
        this.storing = false;
        this.startBatch();
        this.wakeIfIdle();
      });
  }

  private async store(
    batch: { received: Received; parsed: ReturnType<typeof parseIntakeMessage> }[],
  ): Promise<void> {
    const parsedOk: Accepted[] = [];
    // Refused messages go to the dead-letter queue while the valid ones are stored: a flood of
    // garbage costs the valid messages beside it no extra round trip.
    const deadLettering: Promise<void>[] = [];
    for (const { received, parsed } of batch) {
      if (parsed.ok) parsedOk.push({ received, message: parsed.message });
      else
        deadLettering.push(this.deadLetters.deadLetter(received, parsed.reason, parsed.tooLarge));
    }
    const refusals = await this.refusals(parsedOk);
    if (refusals === undefined) {
      // Shutting down while MongoDB is away: left unacknowledged for the broker to redeliver.
      await Promise.all(deadLettering);
      return;
    }
    const accepted = parsedOk.filter((item, index) => {
      const refusal = refusals.get(index);
      if (refusal !== undefined)
        deadLettering.push(this.deadLetters.deadLetter(item.received, refusal));
      return refusal === undefined;
    });
    try {
      if (accepted.length > 0) await this.accepted.store(accepted);
    } finally {
      await Promise.all(deadLettering);
    }
  }

  /**
   * The broker-user and event-type checks, retried while MongoDB is down (undefined: stopped
   * meanwhile).
   */
  private async refusals(items: readonly Accepted[]): Promise<Map<number, string> | undefined> {
    const fromBroker = items.map(({ received, message }) => {
      const { userId, headers } = propertiesOf(received.message);
      return {
        appId: message.appId,
        userId,
        catalogUnchecked: headers?.[HEADER_CATALOG_UNCHECKED] === true,
      };
    });
    return retryUntilStopped(
      async () => {
        const [bound, checked] = await Promise.all([
          this.binding.refusals(fromBroker),
          this.eventTypes.refusals(
            items.map((item) => item.message),
            fromBroker,
          ),
        ]);
        return new Map([...checked, ...bound]);
      },
      (error, backoffMs) =>
        this.logger.warn(
          `reading broker-user bindings or event types failed, retrying in ${backoffMs} ms: ${String(error)}`,
        ),
      () => this.stopped,
    );
  }
}

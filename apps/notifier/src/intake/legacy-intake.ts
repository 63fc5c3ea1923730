import { Logger } from '@nestjs/common';
import { LEGACY_INTAKE_QUEUE } from '@app/contracts';
import { type AmqpConnection, type MessageHandler, QueueConsumer } from '@app/messaging';

/** How often the queue is looked at while it is drained. */
const CHECK_INTERVAL_MS = 5_000;

/**
 * The intake queue of versions before ordered delivery, `notify.intake`, has no single active
 * consumer, and a queue's arguments cannot change: the topology declares `notify.intake.ordered`
 * instead and unbinds the old queue (ADR 0013). This drains what is left in it through the same
 * intake, and deletes it once it is empty and nobody consumes it (a notifier of the old version
 * may still), waiting until intake has acknowledged everything it took from it. Nothing to do,
 * and no timer, where the queue does not exist.
 */
export class LegacyIntake {
  private readonly logger = new Logger(LegacyIntake.name);
  private consumer: QueueConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly prefetch: number,
    private readonly handler: MessageHandler,
    /** Resolves when intake holds no unacknowledged message. */
    private readonly idle: () => Promise<void>,
    private readonly intervalMs = CHECK_INTERVAL_MS,
  ) {}

  async start(): Promise<void> {
    if ((await this.check()) === undefined) return;
    this.logger.log(`draining ${LEGACY_INTAKE_QUEUE}, the intake queue of an earlier version`);
    this.consumer = new QueueConsumer(
      this.connection,
      LEGACY_INTAKE_QUEUE,
      this.prefetch,
      this.handler,
    );
    await this.consumer.start();
    this.timer = setInterval(() => void this.drainOrDelete(), this.intervalMs);
  }

  /** Stops taking messages; what was taken stays with intake until acknowledged. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.consumer?.stop();
  }

  async close(): Promise<void> {
    await this.stop();
    await this.consumer?.close();
  }

  /** Public for tests: one look at the queue. */
  async drainOrDelete(): Promise<void> {
    if (this.checking || this.consumer === undefined) return;
    this.checking = true;
    try {
      const queue = await this.check();
      if (queue === undefined) {
        // Deleted by another notifier.
        await this.close();
      } else if (queue.messageCount > 0) {
        await this.consumer.resume();
      } else {
        // Unbound and empty: nothing more comes. Stop taking, wait until what was taken is
        // acknowledged, and delete it if nobody else consumes it and nothing came back to it.
        await this.consumer.stop();
        await this.idle();
        const deleted = await this.connection.withChannel(async (channel) => {
          const again = await channel.checkQueue(LEGACY_INTAKE_QUEUE);
          if (again.messageCount > 0 || again.consumerCount > 0) return false;
          // Checked just before: quorum queues refuse the if-empty and if-unused flags.
          await channel.deleteQueue(LEGACY_INTAKE_QUEUE);
          return true;
        });
        if (deleted === true) {
          this.logger.log(`${LEGACY_INTAKE_QUEUE} drained and deleted`);
          await this.close();
        } else {
          await this.consumer.resume();
        }
      }
    } finally {
      this.checking = false;
    }
  }

  private check() {
    return this.connection.withChannel((channel) => channel.checkQueue(LEGACY_INTAKE_QUEUE));
  }
}

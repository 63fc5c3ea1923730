import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DeliveryDispatcher } from './deliver/delivery-dispatcher';
import { OutcomeWriter } from './deliver/outcome-writer';
import { IntakeConsumer } from './intake/intake.consumer';
import { DeliveryScheduler } from './scheduler/delivery.scheduler';

/**
 * Graceful shutdown, before connections close: stop taking work, let attempts in flight finish
 * (each is bounded by its timeout), and write their outcomes. What is left unacknowledged or
 * claimed comes back to another notifier through the broker or an expiring lease.
 */
@Injectable()
export class NotifierLifecycle implements BeforeApplicationShutdown {
  private readonly logger = new Logger(NotifierLifecycle.name);

  constructor(
    private readonly intake: IntakeConsumer,
    private readonly scheduler: DeliveryScheduler,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly writer: OutcomeWriter,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('shutting down: finishing attempts in flight');
    this.scheduler.stop();
    await this.intake.stop();
    await this.dispatcher.whenIdle();
    await this.writer.drain();
  }
}

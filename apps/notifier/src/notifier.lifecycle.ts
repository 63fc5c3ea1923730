import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DeliveryDispatcher } from './attempt/delivery-dispatcher';
import { OutcomeWriter } from './record-outcomes/outcome-writer';
import { IntakeConsumer } from './intake/intake.consumer';
import { EndpointGate } from './isolation/endpoint-gate';
import { DeliveryScheduler } from './claim/delivery.scheduler';
import { PlatformEvents } from './platform-events/platform-events';

/** How long shutdown waits for outcomes to be written while MongoDB does not answer. */
const DRAIN_TIMEOUT_MS = 15_000;

/**
 * Graceful shutdown (SIGTERM), before connections close: stop claiming and consuming, hand back
 * whatever is claimed but not started, let attempts in flight finish (each is bounded by its
 * timeout) and write their outcomes. Messages received are stored and acknowledged first;
 * anything left unacknowledged or claimed comes back to another notifier through the broker or an
 * expiring lease. docs/operations.md describes the sequence.
 */
@Injectable()
export class NotifierLifecycle implements BeforeApplicationShutdown {
  private readonly logger = new Logger(NotifierLifecycle.name);

  constructor(
    private readonly intake: IntakeConsumer,
    private readonly scheduler: DeliveryScheduler,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly writer: OutcomeWriter,
    private readonly gate: EndpointGate,
    private readonly platformEvents: PlatformEvents,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('shutting down: no more claims or intake; finishing attempts in flight');
    const claimsEnded = this.scheduler.stop();
    // A claim or an intake batch already under way is given back, due now, not attempted.
    this.gate.close();
    await this.intake.stop();
    this.logger.log('intake stopped: messages published from now on stay in the queue');
    await claimsEnded;
    await this.dispatcher.whenIdle();
    if (await this.writer.drain(DRAIN_TIMEOUT_MS)) {
      this.logger.log('every attempt in flight finished and its outcome is written');
    } else {
      this.logger.warn(
        'MongoDB did not take the last outcomes in time: those deliveries are attempted again after their lease',
      );
    }
    if (!(await this.platformEvents.drain(DRAIN_TIMEOUT_MS))) {
      this.logger.warn('MongoDB did not take the last platform events in time: they are lost');
    }
  }
}

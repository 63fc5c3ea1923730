import { Injectable, Logger } from '@nestjs/common';
import { CircuitBreaker } from '../isolation/circuit-breaker';
import type { CircuitTransition } from '../isolation/circuit-rules';
import type { PlannedOutcome } from '../record-outcomes/plan-outcome';
import { mayCloseCircuit, planClosedEvents, planOutcomeEvents } from './plan-platform-events';
import { PlatformEvents } from './platform-events';

/**
 * The platform events of a batch of outcomes, raised as each decision is written
 * (RecordOutcomesUseCase): before the batch, the circuits its successes close, where the app
 * listens for that; after it and the breaker, what the batch and the breaker's transitions report.
 * A batch written again raises its events again, which stores nothing new (their ids are fixed). A
 * batch of successes on healthy endpoints costs nothing.
 */
@Injectable()
export class OutcomeEvents {
  private readonly logger = new Logger(OutcomeEvents.name);

  constructor(
    private readonly circuit: CircuitBreaker,
    private readonly platformEvents: PlatformEvents,
  ) {}

  /** Throws when MongoDB does: the batch is then written again, this included. */
  async beforeWrite(batch: readonly PlannedOutcome[]): Promise<void> {
    const closing = mayCloseCircuit(batch);
    if (closing.length === 0) return;
    const appOf = new Map(batch.map((outcome) => [outcome.endpointId, outcome.appId]));
    const subscriptions = await this.platformEvents.subscriptions(
      closing.map((endpointId) => appOf.get(endpointId)!),
    );
    const listened = closing.filter((endpointId) =>
      subscriptions.has(appOf.get(endpointId)!, 'endpoint.circuit_closed'),
    );
    if (listened.length === 0) return;
    const closed = await this.circuit.closeBeforeSuccesses(listened);
    this.platformEvents.raise(planClosedEvents(batch, closed));
  }

  afterWrite(batch: readonly PlannedOutcome[], transitions: readonly CircuitTransition[]): void {
    const { raise, notRaised } = planOutcomeEvents(batch, transitions);
    for (const { appId, key, event } of notRaised) {
      this.logger.log(
        { appId, eventType: event.eventType, about: key },
        `platform event ${event.eventType} not raised: it is about the delivery of a platform event`,
      );
    }
    this.platformEvents.raise(raise);
  }
}

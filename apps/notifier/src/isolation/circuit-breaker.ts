import { Inject, Injectable, Logger } from '@nestjs/common';
import { circuitTransitions, Clock } from '@app/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '@app/config';
import { DeliveryRepository, EndpointCircuitRepository } from '@app/dal';
import { planCircuit, type CircuitTransition, type EndpointHealthChange } from './circuit-rules';
import { spreadFor } from './endpoint-admission';

/** A circuit a success closed, with the cool-down end it had. */
export interface ClosedCircuit {
  endpointId: string;
  openUntil: Date;
}

/**
 * Runs after a batch of outcomes (and the endpoints' health) is written: an endpoint whose latest
 * attempt failed may have to open its circuit or be disabled (planCircuit). When a
 * circuit opens, the endpoint's due deliveries are moved past the cool-down at once, so no
 * notifier claims them only to postpone them. Each transition is logged and counted
 * (notify_endpoint_circuit_transitions_total); a disabled endpoint keeps the reason.
 */
@Injectable()
export class CircuitBreaker {
  private readonly logger = new Logger(CircuitBreaker.name);

  constructor(
    private readonly circuits: EndpointCircuitRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly clock: Clock,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  /**
   * Returns the transitions made (for platform-events). Never throws: the circuit is re-evaluated
   * with the endpoint's next failure anyway.
   */
  async afterOutcomes(changes: readonly EndpointHealthChange[]): Promise<CircuitTransition[]> {
    const failing = endpointsEndingInFailure(changes);
    if (failing.length === 0) return [];
    const now = this.clock.now();
    const made: CircuitTransition[] = [];
    try {
      for (const transition of await this.changeCircuits(failing, now)) {
        made.push(transition);
        circuitTransitions.inc({ transition: transition.kind });
        if (transition.kind === 'disabled') {
          this.logger.warn(
            { endpointId: transition.endpointId, reason: transition.reason },
            `endpoint ${transition.endpointId} disabled: ${transition.reason}`,
          );
          continue;
        }
        const moved = await this.deliveries.postponeDueForEndpoint(
          transition.endpointId,
          transition.until,
          spreadFor(transition.cooldownMs),
        );
        this.logger.warn(
          { endpointId: transition.endpointId, until: transition.until.toISOString() },
          `endpoint ${transition.endpointId}: circuit open after ${transition.consecutiveFailures} consecutive failures; ` +
            `no attempts until ${transition.until.toISOString()} (${moved} due deliveries postponed, attempts not counted)`,
        );
      }
    } catch (error) {
      this.logger.warn(
        `updating endpoint circuits failed (retried with the next failure): ${String(error)}`,
      );
    }
    return made;
  }

  /**
   * Closes the open circuits of these endpoints, each of which has a success to write: what the
   * health write does anyway, done first to learn which circuits it closes (platform-events).
   */
  async closeBeforeSuccesses(endpointIds: readonly string[]): Promise<ClosedCircuit[]> {
    const closed = await this.circuits.closeOpen(endpointIds);
    for (const { endpointId } of closed) {
      this.logger.log({ endpointId }, `endpoint ${endpointId}: circuit closed by a success`);
    }
    return closed;
  }

  /** One read, and one write when anything changes. Returns what changed. */
  private async changeCircuits(
    endpointIds: readonly string[],
    now: Date,
  ): Promise<CircuitTransition[]> {
    const states = await this.circuits.findStates(endpointIds);
    const changes = states.flatMap(
      (state) => planCircuit(state, this.config.circuitBreaker, now) ?? [],
    );
    const written = new Set(await this.circuits.write(changes.map((change) => change.write)));
    return changes.filter((change) => written.has(change.write)).map((c) => c.transition);
  }
}

/** Endpoints whose latest outcome in the batch is a failure. */
export function endpointsEndingInFailure(changes: readonly EndpointHealthChange[]): string[] {
  const latest = new Map<string, EndpointHealthChange>();
  for (const change of changes) {
    const seen = latest.get(change.endpointId);
    if (seen === undefined || seen.at <= change.at) latest.set(change.endpointId, change);
  }
  return [...latest.values()].filter((change) => !change.succeeded).map((c) => c.endpointId);
}

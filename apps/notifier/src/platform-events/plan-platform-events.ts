import { isPlatformEventType, type PlatformEvent } from '@app/contracts';
import type { ClosedCircuit } from '../isolation/circuit-breaker';
import type { CircuitTransition } from '../isolation/circuit-rules';
import type { PlannedOutcome } from '../record-outcomes/plan-outcome';

/** A platform event to store as a message of `appId`; `key` names what it reports (its id). */
export interface RaisedPlatformEvent {
  appId: string;
  key: string;
  event: PlatformEvent;
}

/**
 * What a written batch of outcomes and the breaker's transitions after it report: `raise`, and
 * `notRaised`, what the failures of platform events' own deliveries would have raised (logged
 * instead: a platform event never triggers a platform event, so none can loop).
 * - delivery.failed: a delivery that ended `failed` (schedule exhausted, permanent error, poison,
 *   endpoint disabled);
 * - endpoint.disabled: an endpoint that answered 410 Gone, or that the circuit breaker disabled;
 * - endpoint.circuit_opened: an opening of the breaker.
 */
export function planOutcomeEvents(
  batch: readonly PlannedOutcome[],
  transitions: readonly CircuitTransition[],
): { raise: RaisedPlatformEvent[]; notRaised: RaisedPlatformEvent[] } {
  const raise = new Map<string, RaisedPlatformEvent>();
  const notRaised = new Map<string, RaisedPlatformEvent>();
  const add = (event: RaisedPlatformEvent, aboutPlatformEvent: boolean) =>
    (aboutPlatformEvent ? notRaised : raise).set(event.key, event);
  const latest = latestOutcomes(batch);

  for (const outcome of batch) {
    const { context, update } = outcome;
    if (context === undefined) continue;
    const aboutPlatformEvent = isPlatformEventType(context.eventType);
    if (update.status === 'failed') {
      add(
        {
          appId: outcome.appId,
          key: `delivery.failed:${outcome.deliveryId}:${update.attemptCount}`,
          event: {
            eventType: 'delivery.failed',
            payload: {
              deliveryId: outcome.deliveryId,
              messageId: outcome.messageId,
              endpointId: outcome.endpointId,
              eventType: context.eventType,
              attemptCount: update.attemptCount,
              reason: update.lastError ?? 'failed',
              failedAt: update.updatedAt.toISOString(),
            },
          },
        },
        aboutPlatformEvent,
      );
    }
    const disableReason = outcome.health?.disableReason;
    if (disableReason !== undefined) {
      // Keyed on the endpoint's version: every 410 from it disables it once, whoever sees it.
      add(
        disabled(
          outcome.appId,
          outcome.endpointId,
          context.endpointUpdatedAt.toISOString(),
          disableReason,
          outcome.health!.at,
        ),
        aboutPlatformEvent,
      );
    }
  }

  for (const transition of transitions) {
    const outcome = latest.get(transition.endpointId);
    if (outcome === undefined) continue;
    const aboutPlatformEvent =
      outcome.context === undefined || isPlatformEventType(outcome.context.eventType);
    if (transition.kind === 'disabled') {
      add(
        disabled(
          outcome.appId,
          transition.endpointId,
          transition.reason,
          transition.reason,
          outcome.health!.at,
        ),
        aboutPlatformEvent,
      );
      continue;
    }
    add(
      {
        appId: outcome.appId,
        key: `endpoint.circuit_opened:${transition.endpointId}:${transition.until.toISOString()}`,
        event: {
          eventType: 'endpoint.circuit_opened',
          payload: {
            endpointId: transition.endpointId,
            reason: `${transition.consecutiveFailures} consecutive failed attempts`,
            consecutiveFailures: transition.consecutiveFailures,
            openUntil: transition.until.toISOString(),
            cooldownMs: transition.cooldownMs,
          },
        },
      },
      aboutPlatformEvent,
    );
  }

  return { raise: [...raise.values()], notRaised: [...notRaised.values()] };
}

/**
 * endpoint.circuit_closed for each circuit a success of the batch closed, whatever the delivery:
 * every opening an endpoint was told of is followed by its closing.
 */
export function planClosedEvents(
  batch: readonly PlannedOutcome[],
  closed: readonly ClosedCircuit[],
): RaisedPlatformEvent[] {
  return closed.flatMap(({ endpointId, openUntil }) => {
    const outcome = batch.find((o) => o.endpointId === endpointId && o.health?.succeeded === true);
    if (outcome === undefined) return [];
    return [
      {
        appId: outcome.appId,
        key: `endpoint.circuit_closed:${endpointId}:${openUntil.toISOString()}`,
        event: {
          eventType: 'endpoint.circuit_closed' as const,
          payload: {
            endpointId,
            reason: 'an attempt succeeded',
            deliveryId: outcome.deliveryId,
            closedAt: outcome.health!.at.toISOString(),
          },
        },
      },
    ];
  });
}

/**
 * Endpoints whose circuit a success in the batch may close: those whose last success was not
 * their latest attempt as they were read (a failure since, or an open circuit). A healthy
 * endpoint's successes cost nothing.
 */
export function mayCloseCircuit(batch: readonly PlannedOutcome[]): string[] {
  const endpoints = new Set<string>();
  for (const { health, context, endpointId } of batch) {
    if (health?.succeeded !== true || context === undefined) continue;
    if (context.consecutiveFailures > 0 || context.circuitOpenUntil !== undefined)
      endpoints.add(endpointId);
  }
  return [...endpoints];
}

function disabled(
  appId: string,
  endpointId: string,
  version: string,
  reason: string,
  at: Date,
): RaisedPlatformEvent {
  return {
    appId,
    key: `endpoint.disabled:${endpointId}:${version}`,
    event: {
      eventType: 'endpoint.disabled',
      payload: { endpointId, reason, disabledAt: at.toISOString() },
    },
  };
}

/** Each endpoint's latest outcome with an attempt in the batch: the one that decided its circuit. */
function latestOutcomes(batch: readonly PlannedOutcome[]): Map<string, PlannedOutcome> {
  const latest = new Map<string, PlannedOutcome>();
  for (const outcome of batch) {
    if (outcome.health === undefined) continue;
    const seen = latest.get(outcome.endpointId);
    if (seen === undefined || seen.health!.at <= outcome.health.at)
      latest.set(outcome.endpointId, outcome);
  }
  return latest;
}

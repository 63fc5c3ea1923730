import type { AttemptResult } from '@app/channels';
import { newId } from '@app/common';
import type { AttemptEntity, DeliveryEntity, DeliveryOrdering, DeliveryUpdate } from '@app/dal';
import { planRetry } from '@app/retry-policy';
import type { EndpointHealthChange } from '../isolation/circuit-rules';

export interface OutcomeInput {
  delivery: DeliveryEntity;
  schedule: readonly number[];
  result: AttemptResult;
  startedAt: Date;
  now: Date;
  random: () => number;
}

/**
 * What the attempt knew of its message and endpoint, as loaded for it: what the platform events
 * about the outcome need (platform-events/plan-platform-events). Absent when either was gone.
 */
export interface AttemptContext {
  eventType: string;
  /** The endpoint's version (its updatedAt): one 410 disables one version once. */
  endpointUpdatedAt: Date;
  consecutiveFailures: number;
  circuitOpenUntil?: Date;
}

export interface PlannedOutcome {
  appId: string;
  deliveryId: string;
  messageId: string;
  endpointId: string;
  update: DeliveryUpdate;
  /** Absent when no attempt was made (the endpoint was deleted or disabled meanwhile). */
  attempt?: AttemptEntity;
  health?: EndpointHealthChange;
  /** The delivery reached a final state: its message's status must be recomputed. */
  terminal: boolean;
  /**
   * The delivery's ordering key and sequence (to an ordered endpoint): when it ends, its key is
   * handed on to the next one, or blocked if it failed and the endpoint says so.
   */
  ordering?: DeliveryOrdering & { blockOnFailure: boolean };
  context?: AttemptContext;
}

/** A delivery that ends without an attempt: its endpoint is gone or disabled. */
export function planSettlement(
  delivery: DeliveryEntity,
  status: 'failed' | 'cancelled',
  reason: string,
  now: Date,
): PlannedOutcome {
  return {
    appId: delivery.appId,
    deliveryId: delivery._id,
    messageId: delivery.messageId,
    endpointId: delivery.endpointId,
    update: {
      status,
      attemptCount: delivery.attemptCount,
      nextAttemptAt: null,
      lastAttemptAt: delivery.lastAttemptAt,
      lastError: reason,
      deliveredAt: null,
      updatedAt: now,
    },
    terminal: true,
  };
}

/**
 * A delivery failed as poison: its attempts kept starting and never reporting an outcome, which
 * means they took their notifier down. Recorded as one failed attempt (the last one, started at
 * `startedAt`) so that the attempts API shows why; the endpoint's health is left alone, since the
 * recipient had no part in it.
 */
export function planPoison(
  delivery: DeliveryEntity,
  reason: string,
  startedAt: Date,
  now: Date,
): PlannedOutcome {
  const attemptNumber = delivery.attemptCount + 1;
  return {
    appId: delivery.appId,
    deliveryId: delivery._id,
    messageId: delivery.messageId,
    endpointId: delivery.endpointId,
    update: {
      status: 'failed',
      attemptCount: attemptNumber,
      nextAttemptAt: null,
      lastAttemptAt: startedAt,
      lastError: reason,
      deliveredAt: null,
      updatedAt: now,
    },
    attempt: {
      _id: newId('att'),
      appId: delivery.appId,
      messageId: delivery.messageId,
      deliveryId: delivery._id,
      endpointId: delivery.endpointId,
      attempt: attemptNumber,
      startedAt,
      durationMs: Math.max(0, now.getTime() - startedAt.getTime()),
      outcome: 'failed',
      error: reason,
    },
    terminal: true,
  };
}

/** What one attempt's result means for its delivery, its attempt log and its endpoint's health. */
export function planOutcome(input: OutcomeInput): PlannedOutcome {
  const { delivery, result, now } = input;
  const attemptNumber = delivery.attemptCount + 1;
  const delivered = result.outcome === 'delivered';
  const retryAt =
    result.outcome === 'transient'
      ? planRetry({
          schedule: input.schedule,
          // A redelivered or recovered delivery starts its schedule over; its attempts number on.
          attemptsMade: attemptNumber - (delivery.scheduleOffset ?? 0),
          now,
          random: input.random,
          ...(result.retryAfterMs === undefined ? {} : { notBeforeMs: result.retryAfterMs }),
        })
      : null;
  const status = delivered ? 'succeeded' : retryAt === null ? 'failed' : 'pending';
  return {
    appId: delivery.appId,
    deliveryId: delivery._id,
    messageId: delivery.messageId,
    endpointId: delivery.endpointId,
    update: {
      status,
      attemptCount: attemptNumber,
      nextAttemptAt: retryAt,
      lastAttemptAt: input.startedAt,
      lastError: delivered ? null : (result.error ?? 'failed'),
      deliveredAt: delivered ? now : null,
      updatedAt: now,
    },
    attempt: {
      _id: newId('att'),
      appId: delivery.appId,
      messageId: delivery.messageId,
      deliveryId: delivery._id,
      endpointId: delivery.endpointId,
      attempt: attemptNumber,
      startedAt: input.startedAt,
      durationMs: result.durationMs,
      outcome: delivered ? 'succeeded' : 'failed',
      ...(result.statusCode === undefined ? {} : { statusCode: result.statusCode }),
      ...(result.error === undefined ? {} : { error: result.error }),
      ...(result.responseBody === undefined ? {} : { responseBody: result.responseBody }),
    },
    health: {
      endpointId: delivery.endpointId,
      at: now,
      succeeded: delivered,
      ...(result.outcome === 'gone' ? { disableReason: result.error ?? 'HTTP 410 Gone' } : {}),
    },
    terminal: status !== 'pending',
  };
}

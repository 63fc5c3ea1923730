import { batchIds } from '@app/common';
import type { AttemptEntity, DeliveryEntity } from '@app/dal';
import type { PlannedOutcome } from './record-outcomes/plan-outcome';

/** What the lines about one outcome carry: whose it is and what became of the delivery. */
export interface OutcomeLogFields {
  messageId: string;
  deliveryId: string;
  endpointId: string;
  /** Attempts made so far, this one included. */
  attempt: number;
  /** The delivery's status after it: pending (retried), succeeded, failed or cancelled. */
  status: PlannedOutcome['update']['status'];
  /** The attempt's own: succeeded or failed; absent when none was made. */
  outcome?: AttemptEntity['outcome'];
  statusCode?: number;
  durationMs?: number;
  nextAttemptAt?: string;
  reason?: string;
}

/** Ids as fields, so that `jq 'select(.messageId == "msg_...")'` finds every line about one. */
export function outcomeLogFields(outcome: PlannedOutcome): OutcomeLogFields {
  const { update, attempt } = outcome;
  return {
    messageId: outcome.messageId,
    deliveryId: outcome.deliveryId,
    endpointId: outcome.endpointId,
    attempt: update.attemptCount,
    status: update.status,
    ...(attempt === undefined ? {} : { outcome: attempt.outcome, durationMs: attempt.durationMs }),
    ...(attempt?.statusCode === undefined ? {} : { statusCode: attempt.statusCode }),
    ...(update.nextAttemptAt === null ? {} : { nextAttemptAt: update.nextAttemptAt.toISOString() }),
    ...(update.lastError === null ? {} : { reason: update.lastError }),
  };
}

/** The ids of a batch of outcomes, for a line about all of them. */
export function outcomeBatchFields(outcomes: readonly PlannedOutcome[]) {
  return batchIds({
    deliveryIds: outcomes.map((outcome) => outcome.deliveryId),
    messageIds: outcomes.map((outcome) => outcome.messageId),
  });
}

/** The ids of a batch of deliveries, for a line about all of them. */
export function deliveryBatchFields(deliveries: readonly DeliveryEntity[]) {
  return batchIds({
    deliveryIds: deliveries.map((delivery) => delivery._id),
    messageIds: deliveries.map((delivery) => delivery.messageId),
  });
}

/** The ids of one delivery, for a line about it. */
export function deliveryFields(delivery: DeliveryEntity) {
  return {
    messageId: delivery.messageId,
    deliveryId: delivery._id,
    endpointId: delivery.endpointId,
  };
}

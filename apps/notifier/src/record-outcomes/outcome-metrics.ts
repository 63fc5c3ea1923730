import { attemptDuration, deliveryOutcomes, type DeliveryOutcomeLabel } from '@app/common';
import type { PlannedOutcome } from './plan-outcome';

export function outcomeLabel(outcome: PlannedOutcome): DeliveryOutcomeLabel {
  switch (outcome.update.status) {
    case 'pending':
      return 'retry_scheduled';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

/** Counted when the outcome is planned: a write fenced out later (a lost lease) still counts. */
export function recordOutcomeMetrics(outcome: PlannedOutcome): void {
  deliveryOutcomes.inc({ outcome: outcomeLabel(outcome) });
  if (outcome.attempt !== undefined) {
    attemptDuration.observe(
      { outcome: outcome.attempt.outcome },
      outcome.attempt.durationMs / 1000,
    );
  }
}

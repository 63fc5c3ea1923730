import type { PlannedOutcome } from './plan-outcome';

/** An outcome to write, with the claim its attempt ran under: its write is fenced on it. */
export interface PendingOutcome extends PlannedOutcome {
  claimToken: string;
}

/**
 * Outcomes written together (OutcomeWriter). `writer` and `number` name the batch, so that writing
 * it again after a partial write is recognised: the endpoint health and the owed status refresh are
 * written once for it.
 */
export interface RecordOutcomesCommand {
  writer: string;
  number: number;
  outcomes: PendingOutcome[];
}

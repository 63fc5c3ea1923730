/**
 * Messages whose deliveries a batch of outcomes ends, written down before those outcomes are
 * (OutcomeWriter) and removed once the messages' statuses are recomputed (MessageStatusRefresh).
 * A notifier that dies in between leaves it, and the status repair (MessageStatusRepair)
 * recomputes those messages later. One per batch, where a flag on each ended delivery cost a
 * third write per delivery.
 */
export interface StatusRefreshEntity {
  /** The outcome writer's id and the batch's number: writing a batch again writes the same one. */
  _id: string;
  messageIds: string[];
  /** When the batch was last written: the repair takes entries older than a grace period. */
  writtenAt: Date;
}

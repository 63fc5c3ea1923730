/**
 * A message intake refused and could not dead-letter either: `notify.events.dead` is full (its
 * policy's bound, overflow reject-publish) and the broker nacked the copy. Kept here instead, in a
 * capped collection, so nothing is dropped silently; operators read it with
 * GET /v1/dead-letters/refused.
 */
export interface RefusedDeadLetterEntity {
  _id: string;
  /** The x-app-id header as the producer sent it (unchecked: the message was refused), or null. */
  appId: string | null;
  /** Why intake refused the message: what its x-error would have said. */
  reason: string;
  /** Why the dead-letter queue did not take it. */
  refusal: string;
  /** The body's size in bytes. */
  size: number;
  routingKey: string;
  /** The AMQP messageId property, when the producer set one. */
  messageId: string | null;
  refusedAt: Date;
}

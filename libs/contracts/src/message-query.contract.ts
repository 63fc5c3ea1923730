import { z } from 'zod';
import { EVENT_TYPE_PATTERN } from './event-type';
import { listQuerySchema } from './list.contract';
import { MESSAGE_STATUSES } from './message.contract';
import { isoTimeSchema } from './time.schema';

/** GET /v1/messages: filters combine with AND; the time window is [since, until) on createdAt. */
export const listMessagesQuerySchema = listQuerySchema
  .extend({
    eventType: z
      .string()
      .regex(EVENT_TYPE_PATTERN, 'must be an event type such as "order.paid" (exact match)')
      .optional(),
    status: z
      .enum(MESSAGE_STATUSES, { message: `must be one of ${MESSAGE_STATUSES.join(', ')}` })
      .optional(),
    endpointId: z.string().min(1).max(64).optional(),
    since: isoTimeSchema.optional(),
    until: isoTimeSchema.optional(),
  })
  .superRefine(checkWindow);

export type ListMessagesQuery = z.output<typeof listMessagesQuerySchema>;
/** What a client sends: times as ISO strings. */
export type ListMessagesParams = z.input<typeof listMessagesQuerySchema>;

/** `since` must come before `until` when both are given. */
export function checkWindow(
  window: { since?: Date | undefined; until?: Date | undefined },
  ctx: z.RefinementCtx,
): void {
  if (window.since !== undefined && window.until !== undefined && window.since >= window.until) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['until'],
      message: 'must be later than since',
    });
  }
}

import { z } from 'zod';
import { DELIVERY_STATUSES } from './message.contract';
import { isoTimeSchema } from './time.schema';

export const INBOX_STATUSES = [...DELIVERY_STATUSES, 'all'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

/**
 * GET /v1/inbox. `after` is the cursor (`cursor` is accepted as its alias, like every other list);
 * `status` defaults to `all`, the only walk that sees every message addressed to the endpoint.
 * `since` keeps only what reached the endpoint at or after that time (`notify listen`).
 */
export const inboxQuerySchema = z
  .object({
    status: z
      .enum(INBOX_STATUSES, { message: `must be one of ${INBOX_STATUSES.join(', ')}` })
      .default('all'),
    after: z.string().min(1).max(512).optional(),
    cursor: z.string().min(1).max(512).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    since: isoTimeSchema.optional(),
  })
  .transform(({ cursor, after, ...rest }) => ({ ...rest, after: after ?? cursor }));

export type InboxQuery = z.output<typeof inboxQuerySchema>;

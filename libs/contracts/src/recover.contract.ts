import { z } from 'zod';
import { checkWindow } from './message-query.contract';
import { isoTimeSchema } from './time.schema';

/** POST /v1/endpoints/:id/recover: deliveries that ended `failed` in [since, until). */
export const recoverEndpointSchema = z
  .object({
    since: isoTimeSchema,
    until: isoTimeSchema.optional(),
    dryRun: z.boolean({ invalid_type_error: 'must be true or false' }).default(false),
  })
  .strict()
  .superRefine(checkWindow);

export type RecoverEndpoint = z.output<typeof recoverEndpointSchema>;

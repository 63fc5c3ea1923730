import { z } from 'zod';
import { listQuerySchema } from './list.contract';

/** GET /v1/endpoints/:id/ordering-keys: the endpoint's keys, oldest first; `blocked=true`: held ones only. */
export const listOrderingKeysQuerySchema = listQuerySchema.extend({
  blocked: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .transform((value) => value === 'true')
    .optional(),
});

export type ListOrderingKeysQuery = z.output<typeof listOrderingKeysQuerySchema>;

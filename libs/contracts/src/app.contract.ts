import { z } from 'zod';
import { appQuotasPatchSchema } from './quota.contract';

export const createAppSchema = z
  .object({
    name: z.string({ required_error: 'is required' }).trim().min(1).max(200),
  })
  // A field refused rather than ignored: `quotas` here would leave the app on the defaults.
  .strict();

export type CreateApp = z.infer<typeof createAppSchema>;

/**
 * A RabbitMQ user name (RabbitMQ allows up to 255 bytes): printable, without spaces or control
 * characters, so that it compares exactly with what the broker reports as the publishing user.
 */
export const brokerUserSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s\p{Cc}]+$/u, 'must be a RabbitMQ user name: no spaces or control characters');

/** PATCH /v1/apps/:id (admin). `quotas` fields left out stay as they are; null clears. */
export const updateAppSchema = z
  .object({
    quotas: appQuotasPatchSchema.nullable(),
    brokerUser: brokerUserSchema.nullable(),
    requireRegisteredEventTypes: z
      .boolean()
      .describe(
        'true: messages of event types the app has not registered (PUT /v1/event-types/:name), or has archived, are refused',
      ),
  })
  .partial()
  .strict();

export type UpdateApp = z.output<typeof updateAppSchema>;

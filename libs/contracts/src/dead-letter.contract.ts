import { z } from 'zod';
import { isoTimeView } from './time.schema';

/** GET /v1/dead-letters/refused: what intake refused while notify.events.dead was full. */
export const refusedDeadLetterViewSchema = z.object({
  id: z.string(),
  appId: z
    .string()
    .nullable()
    .describe('The x-app-id header as the producer sent it (unchecked), or null'),
  reason: z.string().describe('Why intake refused the message (its x-error)'),
  refusal: z.string().describe('Why notify.events.dead did not take it'),
  size: z.number().int().describe('The body size in bytes'),
  routingKey: z.string(),
  messageId: z.string().nullable().describe('The AMQP messageId property, if any'),
  refusedAt: isoTimeView,
});

export type RefusedDeadLetterView = z.infer<typeof refusedDeadLetterViewSchema>;

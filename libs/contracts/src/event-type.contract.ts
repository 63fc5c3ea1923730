import { z } from 'zod';
import { publishMessageSchema } from './message.contract';
import { isoTimeView } from './time.schema';

/** An event type's name in a path: the rules of a message's eventType (platform ones refused). */
export const eventTypeNameSchema = publishMessageSchema.shape.eventType;

/** Examples an event type keeps at most. */
export const MAX_EVENT_TYPE_EXAMPLES = 10;

/** PUT /v1/event-types/:name: the whole definition (what is left out is removed). */
export const putEventTypeSchema = z
  .object({
    description: z.string().max(2_000).optional(),
    schema: z
      .union([z.record(z.string(), z.unknown()), z.boolean()], {
        invalid_type_error: 'must be a JSON Schema (2020-12): an object or a boolean',
      })
      .optional()
      .describe(
        'JSON Schema (2020-12) every payload of this event type must match; at most 64 KiB, 32 levels deep; $ref only inside the schema ("#/..."); patterns in RE2 syntax',
      ),
    examples: z
      .array(publishMessageSchema.shape.payload)
      .max(MAX_EVENT_TYPE_EXAMPLES)
      .optional()
      .describe('Example payloads; each must match the schema'),
    deprecated: z.boolean().default(false),
  })
  .strict();

export type PutEventType = z.output<typeof putEventTypeSchema>;

/** POST /v1/event-types/:name/validate. */
export const validatePayloadSchema = z
  .object({ payload: publishMessageSchema.shape.payload })
  .strict();

export type ValidatePayload = z.output<typeof validatePayloadSchema>;

export const eventTypeViewSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]).nullable(),
  examples: z.array(z.record(z.string(), z.unknown())),
  deprecated: z.boolean(),
  version: z.number().int().describe('1 when registered; up by one on every PUT and on DELETE'),
  archivedAt: isoTimeView.nullable().describe('Set by DELETE: no longer registered'),
  createdAt: isoTimeView,
  updatedAt: isoTimeView,
});

export type EventTypeView = z.infer<typeof eventTypeViewSchema>;

export const validPayloadSchema = z.object({ valid: z.literal(true) });

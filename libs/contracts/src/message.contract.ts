import { z } from 'zod';
import { EVENT_TYPE_PATTERN } from './event-type';
import { payloadProblem } from './payload';
import { isPlatformEventType, PLATFORM_EVENT_TYPES } from './platform-event-types';

export const MESSAGE_STATUSES = ['pending', 'delivered', 'failed', 'no_endpoints'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
/** A message in one of these is over: `pending` is the only status it leaves. */
export const ENDED_MESSAGE_STATUSES = [
  'delivered',
  'failed',
  'no_endpoints',
] as const satisfies readonly MessageStatus[];

/**
 * `held`: a delivery to an ordered endpoint waiting for the delivery of the previous message of its
 * ordering key to end (docs/api.md "Ordered delivery"); it becomes `pending` then.
 */
export const DELIVERY_STATUSES = ['pending', 'held', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** A delivery in one of these is not over: it may still be attempted. The others are ended. */
export const OPEN_DELIVERY_STATUSES = [
  'pending',
  'held',
] as const satisfies readonly DeliveryStatus[];

export const MAX_ORDERING_KEY_LENGTH = 256;

export const CHANNELS = ['webhook', 'email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The body of POST /v1/messages and of every AMQP message on `notify.events`. */
export const publishMessageSchema = z
  .object({
    eventType: z
      .string({ required_error: 'is required' })
      .regex(
        EVENT_TYPE_PATTERN,
        'must be 1-128 characters of dot-separated segments of letters, digits, "_" or "-" (e.g. "order.paid")',
      )
      .refine((eventType) => !isPlatformEventType(eventType), {
        message: `is reserved for the platform's own events (${PLATFORM_EVENT_TYPES.join(', ')}): producers may not publish it`,
      })
      .describe(
        `The event type, e.g. "order.paid". The platform's own event types (${PLATFORM_EVENT_TYPES.join(', ')}) are refused: 400.`,
      ),
    payload: z
      .record(z.string(), z.unknown(), {
        required_error: 'is required',
        invalid_type_error: 'must be a JSON object',
      })
      .superRefine((payload, ctx) => {
        const problem = payloadProblem(payload);
        if (problem !== undefined) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: problem.path,
            message: problem.message,
          });
        }
      }),
    idempotencyKey: z.string().min(1).max(256).optional(),
    orderingKey: z
      .string()
      .min(1)
      .max(MAX_ORDERING_KEY_LENGTH)
      // It is sent as the webhook-ordering-key header, which carries these characters as they are.
      .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII characters (space to ~)')
      .optional()
      .describe(
        'Messages with the same key reach an endpoint created with "ordered": true one at a time, in the order they were published (docs/api.md "Ordered delivery"). Ignored by other endpoints.',
      ),
    endpointIds: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
  })
  // A misspelt field refused rather than left out: the message would go out without it (to
  // every endpoint of its type without endpointIds, in any order without orderingKey).
  .strict();

export type PublishMessage = z.infer<typeof publishMessageSchema>;

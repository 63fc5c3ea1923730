import { z } from 'zod';
import { EVENT_TYPE_PATTERN } from './event-type';
import { payloadProblem } from './payload';
import { isPlatformEventType, PLATFORM_EVENT_TYPES } from './platform-event-types';

export const MESSAGE_STATUSES = ['pending', 'delivered', 'failed', 'no_endpoints'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const CHANNELS = ['webhook', 'email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The body of POST /v1/messages and of every AMQP message on `notify.events`. */
export const publishMessageSchema = z.object({
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
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: problem.path, message: problem.message });
      }
    }),
  idempotencyKey: z.string().min(1).max(256).optional(),
  endpointIds: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
});

export type PublishMessage = z.infer<typeof publishMessageSchema>;

import { z } from 'zod';
import { CHANNELS, DELIVERY_STATUSES, MESSAGE_STATUSES } from './message.contract';
import type { AppQuotas } from './quota.contract';
import { isoTimeView } from './time.schema';

/**
 * What the API answers. The presenters are typed with these, and the OpenAPI document is
 * generated from them, so the documentation cannot drift from the answers.
 */

export const pageOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    data: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .describe('Pass back as ?cursor= for the next page; null on the last page'),
  });

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('snake_case, stable: branch on it'),
    message: z.string().describe('what went wrong and how to fix it'),
    details: z.array(
      z.object({
        field: z.string(),
        message: z.string(),
        pointer: z
          .string()
          .optional()
          .describe('payload_schema_mismatch and schema refusals: JSON pointer ("/amount")'),
        keyword: z
          .string()
          .optional()
          .describe('With pointer: the JSON Schema keyword that failed'),
      }),
    ),
  }),
});

export const appQuotasViewSchema = z
  .object({
    endpoints: z.number().int(),
    messagesPerSecond: z.number().int(),
    emailsPerHour: z.number().int(),
    smsPerHour: z.number().int(),
    minRetryDelay: z.number().int().describe('ms'),
    retryScheduleLength: z.number().int(),
    eventTypesPerEndpoint: z.number().int(),
    headersBytes: z.number().int(),
    templateBytes: z.number().int(),
  })
  .describe(
    "The quotas in force: the app's own, else the environment's defaults",
  ) satisfies z.ZodType<AppQuotas>;

export const appViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: isoTimeView,
  quotas: appQuotasViewSchema,
  brokerUser: z
    .string()
    .nullable()
    .describe('The RabbitMQ user allowed to publish for this app, if one is set'),
  requireRegisteredEventTypes: z
    .boolean()
    .describe('Only event types the app registered are accepted (PATCH /v1/apps/:id)'),
});

export const createdAppSchema = appViewSchema.extend({
  apiKey: z.string().describe('Shown only here; store it'),
});

const nullableTime = isoTimeView.nullable();

export const endpointHealthSchema = z.object({
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  consecutiveFailures: z.number().int(),
  lastSuccessAt: nullableTime,
  lastFailureAt: nullableTime,
});

export const endpointViewSchema = z
  .object({
    id: z.string(),
    channel: z.enum(CHANNELS),
    url: z.string().nullable(),
    to: z.string().nullable(),
    eventTypes: z.array(z.string()),
    retrySchedule: z.array(z.number().int()).describe('Delays in ms after the first attempt'),
    timeoutMs: z.number().int(),
    successBody: z.string().nullable(),
    rateLimitPerSecond: z.number().int().nullable(),
    headers: z.record(z.string(), z.string()),
    template: z
      .object({ subject: z.string(), text: z.string(), html: z.string() })
      .partial()
      .nullable(),
    fallbackEndpointId: z
      .string()
      .nullable()
      .describe('Gets the message when a delivery to this endpoint ends failed'),
    description: z.string().nullable(),
    ordered: z.boolean().describe('Messages of one orderingKey arrive one at a time, in order'),
    orderedBlockOnFailure: z
      .boolean()
      .describe('With ordered: a failed delivery holds its key until redelivered or skipped'),
    health: endpointHealthSchema,
    createdAt: isoTimeView,
    updatedAt: isoTimeView,
  })
  .merge(endpointHealthSchema);

export const createdEndpointSchema = endpointViewSchema.extend({
  secret: z.string().nullable().describe('Webhook signing secret, shown only here'),
  recipientToken: z.string().describe('Inbox credential, shown only here'),
});

export const rotatedSecretSchema = z.object({
  secret: z.string().describe('The new signing secret; the previous one keeps signing for 24 h'),
});

export const rotatedRecipientTokenSchema = z.object({
  recipientToken: z.string().describe('The new inbox credential; the previous one stops working'),
});

export const recoverResultSchema = z.object({
  count: z.number().int().describe('Deliveries scheduled again (with dryRun: that would be)'),
});

export const acceptedSchema = z.object({ id: z.string(), status: z.literal('accepted') });

export const messageSummarySchema = z.object({
  id: z.string(),
  eventType: z.string(),
  payload: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string().nullable(),
  orderingKey: z.string().nullable(),
  status: z.enum(MESSAGE_STATUSES),
  createdAt: isoTimeView,
});

export const deliveryViewSchema = z.object({
  id: z.string(),
  messageId: z.string(),
  endpointId: z.string(),
  channel: z.enum(CHANNELS),
  status: z.enum(DELIVERY_STATUSES),
  attemptCount: z.number().int().describe('Attempts made, over every schedule'),
  nextAttemptAt: nullableTime,
  lastAttemptAt: nullableTime,
  lastError: z.string().nullable(),
  deliveredAt: nullableTime,
  fallbackFor: z
    .string()
    .nullable()
    .describe('On a fallback delivery: the failed delivery it stands in for'),
  sequence: z
    .number()
    .int()
    .nullable()
    .describe("To an ordered endpoint: the message's number within its orderingKey there"),
});

export const messageDetailSchema = messageSummarySchema.extend({
  deliveries: z.array(deliveryViewSchema),
});

export const attemptViewSchema = z.object({
  id: z.string(),
  deliveryId: z.string(),
  endpointId: z.string(),
  attempt: z.number().int().describe("1-based, numbered on across the delivery's schedules"),
  startedAt: isoTimeView,
  durationMs: z.number().int(),
  outcome: z.enum(['succeeded', 'failed']),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  responseBody: z.string().nullable().describe('The first 1 KiB of the answer'),
});

export const redeliveredMessageSchema = z.object({
  deliveries: z.number().int().describe('Deliveries scheduled again'),
});

export const inboxItemSchema = z.object({
  messageId: z.string(),
  eventType: z.string(),
  payload: z.record(z.string(), z.unknown()),
  createdAt: isoTimeView,
  deliveryStatus: z.enum(DELIVERY_STATUSES),
  attemptCount: z.number().int(),
  orderingKey: z
    .string()
    .nullable()
    .describe("On an ordered endpoint: the message's orderingKey (webhook-ordering-key)"),
  sequence: z
    .number()
    .int()
    .nullable()
    .describe(
      'On an ordered endpoint: its number within the key (webhook-sequence), one more per message: a gap is a message to look for',
    ),
});

export const orderingKeyViewSchema = z.object({
  key: z.string(),
  endpointId: z.string(),
  lastSequence: z.number().int().describe('The sequence given to the last message of the key'),
  blocked: z
    .object({
      deliveryId: z.string(),
      messageId: z.string(),
      sequence: z.number().int(),
      reason: z.string(),
      since: isoTimeView,
    })
    .nullable()
    .describe(
      'Set while a failed delivery holds the key (orderedBlockOnFailure): redeliver its message or skip the key',
    ),
  updatedAt: isoTimeView,
});

export const inboxPageSchema = z.object({
  data: z.array(inboxItemSchema),
  nextCursor: z
    .string()
    .nullable()
    .describe(
      'Position after the last item: keep it and pass it as ?after= to get only what came since. Null on an empty page (keep the one you have).',
    ),
});

export const healthSchema = z.object({
  status: z.enum(['ok', 'error']),
  checks: z.object({ mongodb: z.enum(['up', 'down']), rabbitmq: z.enum(['up', 'down']) }),
  error: z.string().optional(),
});

export type ErrorBody = z.infer<typeof errorBodySchema>;
export type AppView = z.infer<typeof appViewSchema>;
export type CreatedApp = z.infer<typeof createdAppSchema>;
export type EndpointView = z.infer<typeof endpointViewSchema>;
export type CreatedEndpoint = z.infer<typeof createdEndpointSchema>;
export type RotatedSecret = z.infer<typeof rotatedSecretSchema>;
export type MessageSummary = z.infer<typeof messageSummarySchema>;
export type DeliveryView = z.infer<typeof deliveryViewSchema>;
export type MessageDetail = z.infer<typeof messageDetailSchema>;
export type AttemptView = z.infer<typeof attemptViewSchema>;
export type InboxItem = z.infer<typeof inboxItemSchema>;
export type InboxPage = z.infer<typeof inboxPageSchema>;
export type OrderingKeyView = z.infer<typeof orderingKeyViewSchema>;
export type RecoverResult = z.infer<typeof recoverResultSchema>;
export type RedeliveredMessage = z.infer<typeof redeliveredMessageSchema>;

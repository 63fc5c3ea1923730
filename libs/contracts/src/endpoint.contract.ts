import { z } from 'zod';
import { durationSchema } from './duration.schema';
import { EVENT_TYPE_FILTER_PATTERN } from './event-type';
import { CHANNELS } from './message.contract';
import { PLATFORM_EVENT_TYPES } from './platform-event-types';
import { MAX_SECTION_DEPTH, templateProblem } from './template-syntax';

export const MAX_TIMEOUT_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

/** Headers the platform sets itself; an endpoint may not override them. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'webhook-ordering-key',
  'webhook-sequence',
]);

const httpUrl = z
  .string()
  .url('must be an absolute URL')
  .max(2048)
  // zod refines even after `.url()` failed; `new URL` would then throw and answer 500.
  .refine(
    (value) => !URL.canParse(value) || ['http:', 'https:'].includes(new URL(value).protocol),
    {
      message: 'must use http: or https:',
    },
  );

const headersSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'header names must be HTTP tokens'),
    z
      .string()
      .max(4096)
      // What Node.js can send (anything else throws at every attempt): no CR, LF or NUL.
      .regex(
        /^[\t\x20-\x7e\x80-\xff]*$/,
        'header values may hold tabs and printable Latin-1 characters only (no line breaks)',
      ),
  )
  .refine((headers) => Object.keys(headers).length <= 50, { message: 'at most 50 headers' })
  .refine(
    (headers) => Object.keys(headers).every((name) => !RESERVED_HEADERS.has(name.toLowerCase())),
    {
      message: `may not set ${[...RESERVED_HEADERS].join(', ')}`,
    },
  );

/**
 * A Mustache template (`{{payload.path}}` placeholders), refused at once if it cannot be parsed
 * or its sections could multiply the work of a render (see templateProblem).
 */
const mustacheTemplate = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((template, ctx) => {
      const problem = templateProblem(template);
      if (problem !== undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      }
    })
    .describe(
      `A Mustache template; sections may nest at most ${MAX_SECTION_DEPTH} deep and not inside a section of the same name`,
    );

const templateSchema = z.object({
  subject: mustacheTemplate(1000).optional(),
  text: mustacheTemplate(100_000).optional(),
  html: mustacheTemplate(200_000).optional(),
});

const endpointFields = {
  url: httpUrl.optional(),
  to: z.string().min(1).max(320).optional(),
  eventTypes: z
    .array(
      z
        .string()
        .regex(
          EVENT_TYPE_FILTER_PATTERN,
          'must be an event type, "*", or a pattern like "order.*"',
        ),
    )
    .min(1)
    .max(100)
    .describe(
      `Which messages fan out here: "*" matches all, "order.*" matches "order.paid". The platform's own events (${PLATFORM_EVENT_TYPES.join(', ')}) come only to an endpoint that names them exactly; no wildcard matches them.`,
    ),
  retrySchedule: z.array(durationSchema).max(50),
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS),
  successBody: z.string().min(1).max(1024),
  rateLimitPerSecond: z.number().int().min(1).max(100_000),
  headers: headersSchema,
  template: templateSchema,
  /** Where a message goes when its delivery here ends `failed`: another endpoint of the app. */
  fallbackEndpointId: z.string().min(1).max(64),
  description: z.string().max(1000),
  enabled: z.boolean(),
  ordered: z
    .boolean()
    .describe(
      'Messages with the same orderingKey are delivered here one at a time, in published order; each webhook carries webhook-ordering-key and webhook-sequence.',
    ),
  orderedBlockOnFailure: z
    .boolean()
    .describe(
      'With ordered: a delivery that fails after its schedule holds its key until an operator redelivers its message or skips the key (POST /v1/endpoints/:id/ordering-keys/:key/skip); otherwise the next message goes on.',
    ),
};

type ChannelTarget = { channel: (typeof CHANNELS)[number]; url?: string; to?: string };

/** The channel decides which target field is required and what shape it has. */
export function checkChannelTarget(endpoint: ChannelTarget, ctx: z.RefinementCtx): void {
  const missing = (field: string, why: string) =>
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: why });
  switch (endpoint.channel) {
    case 'webhook':
      if (endpoint.url === undefined) missing('url', 'is required for the webhook channel');
      return;
    case 'email':
      if (endpoint.to === undefined) missing('to', 'is required for the email channel');
      else if (!z.string().email().safeParse(endpoint.to).success) {
        missing('to', 'must be an email address');
      }
      return;
    case 'sms':
      if (endpoint.to === undefined) missing('to', 'is required for the sms channel');
      else if (!E164_PATTERN.test(endpoint.to)) {
        missing('to', 'must be an E.164 phone number such as +8613800000000');
      }
      return;
  }
}

export const createEndpointSchema = z
  .object({
    channel: z.enum(CHANNELS, {
      required_error: 'is required',
      invalid_type_error: 'must be one of webhook, email, sms',
    }),
    ...endpointFields,
    eventTypes: endpointFields.eventTypes.default(['*']),
    retrySchedule: endpointFields.retrySchedule.optional(),
    timeoutMs: endpointFields.timeoutMs.default(DEFAULT_TIMEOUT_MS),
    successBody: endpointFields.successBody.optional(),
    rateLimitPerSecond: endpointFields.rateLimitPerSecond.optional(),
    headers: endpointFields.headers.default({}),
    template: endpointFields.template.optional(),
    fallbackEndpointId: endpointFields.fallbackEndpointId.optional(),
    description: endpointFields.description.optional(),
    enabled: endpointFields.enabled.default(true),
    ordered: endpointFields.ordered.default(false),
    orderedBlockOnFailure: endpointFields.orderedBlockOnFailure.default(false),
  })
  // A misspelt field refused rather than defaulted (eventtypes: subscribed to every event).
  .strict()
  .superRefine(checkChannelTarget);

export type CreateEndpoint = z.output<typeof createEndpointSchema>;

/** PATCH: every field optional; `null` clears an optional one. The channel cannot change. */
export const updateEndpointSchema = z
  .object({
    url: httpUrl,
    to: endpointFields.to.unwrap(),
    eventTypes: endpointFields.eventTypes,
    retrySchedule: endpointFields.retrySchedule.nullable(),
    timeoutMs: endpointFields.timeoutMs,
    successBody: endpointFields.successBody.nullable(),
    rateLimitPerSecond: endpointFields.rateLimitPerSecond.nullable(),
    headers: endpointFields.headers,
    template: endpointFields.template.nullable(),
    fallbackEndpointId: endpointFields.fallbackEndpointId.nullable(),
    description: endpointFields.description.nullable(),
    enabled: endpointFields.enabled,
    ordered: endpointFields.ordered,
    orderedBlockOnFailure: endpointFields.orderedBlockOnFailure,
  })
  .partial()
  .strict();

export type UpdateEndpoint = z.output<typeof updateEndpointSchema>;

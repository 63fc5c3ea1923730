/** The payload each platform event type carries (the reserved types: platform-event-types.ts). */
import { z } from 'zod';
import type { PlatformEventType } from './platform-event-types';
import { isoTimeView } from './time.schema';

const endpointId = z.string().describe('The endpoint concerned');

export const endpointDisabledPayloadSchema = z.object({
  endpointId,
  reason: z.string().describe('Why: its 410 Gone answer, or the circuit breaker’s disable limit'),
  disabledAt: isoTimeView,
});

export const endpointCircuitOpenedPayloadSchema = z.object({
  endpointId,
  reason: z.string(),
  consecutiveFailures: z.number().int(),
  openUntil: isoTimeView.describe('No attempts before then; then one probe attempt decides'),
  cooldownMs: z.number().int(),
});

export const endpointCircuitClosedPayloadSchema = z.object({
  endpointId,
  reason: z.string(),
  deliveryId: z.string().describe('The delivery whose successful attempt closed the circuit'),
  closedAt: isoTimeView,
});

export const deliveryFailedPayloadSchema = z.object({
  deliveryId: z.string(),
  messageId: z.string(),
  endpointId,
  eventType: z.string().describe('The event type of the message that was not delivered'),
  attemptCount: z.number().int(),
  reason: z.string().describe('The last error'),
  failedAt: isoTimeView,
});

export const messageDeadLetteredPayloadSchema = z.object({
  messageId: z
    .string()
    .nullable()
    .describe('The id the HTTP API answered with, for a message it published; else null'),
  amqpMessageId: z.string().nullable().describe('The AMQP messageId property, if any'),
  reason: z.string().describe('Why intake refused it (its x-error)'),
  routingKey: z.string(),
  size: z.number().int().describe('The body size in bytes'),
  deadLetteredAt: isoTimeView,
});

/** The payload of each platform event type. */
export const platformEventPayloadSchemas = {
  'endpoint.disabled': endpointDisabledPayloadSchema,
  'endpoint.circuit_opened': endpointCircuitOpenedPayloadSchema,
  'endpoint.circuit_closed': endpointCircuitClosedPayloadSchema,
  'delivery.failed': deliveryFailedPayloadSchema,
  'message.dead_lettered': messageDeadLetteredPayloadSchema,
} as const satisfies Record<PlatformEventType, z.ZodTypeAny>;

/** One platform event: its type and the payload that type has. */
export type PlatformEvent = {
  [T in PlatformEventType]: {
    eventType: T;
    payload: z.infer<(typeof platformEventPayloadSchemas)[T]>;
  };
}[PlatformEventType];

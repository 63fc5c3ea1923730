/**
 * Operational ("platform") events: messages the platform itself sends as the app, about its
 * endpoints, deliveries and intake (CONTRACT.md "Platform events", docs/api.md). Reserved: a
 * producer may not publish them, and only an endpoint whose `eventTypes` names one exactly
 * receives it (no wildcard matches them, see matchesEventType). Their payloads are in
 * platform-event.contract.ts.
 *
 * No zod here: the console bundles this file (through event-type.ts) as a value.
 */
export const PLATFORM_EVENT_TYPES = [
  'endpoint.disabled',
  'endpoint.circuit_opened',
  'endpoint.circuit_closed',
  'delivery.failed',
  'message.dead_lettered',
] as const;
export type PlatformEventType = (typeof PLATFORM_EVENT_TYPES)[number];

const RESERVED: ReadonlySet<string> = new Set(PLATFORM_EVENT_TYPES);

export function isPlatformEventType(eventType: string): eventType is PlatformEventType {
  return RESERVED.has(eventType);
}

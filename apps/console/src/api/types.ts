/** What the API answers (CONTRACT.md; the server's zod views in libs/contracts are the source). */

export type Channel = 'webhook' | 'email' | 'sms';
export type MessageStatus = 'pending' | 'delivered' | 'failed' | 'no_endpoints';
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';
export type AttemptOutcome = 'succeeded' | 'failed';

export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  'pending',
  'delivered',
  'failed',
  'no_endpoints',
];

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Endpoint {
  id: string;
  channel: Channel;
  url: string | null;
  to: string | null;
  eventTypes: string[];
  retrySchedule: number[];
  timeoutMs: number;
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MessageSummary {
  id: string;
  eventType: string;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  status: MessageStatus;
  createdAt: string;
}

export interface Delivery {
  id: string;
  endpointId: string;
  channel: Channel;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export interface MessageDetail extends MessageSummary {
  deliveries: Delivery[];
}

export interface Attempt {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: AttemptOutcome;
  statusCode?: number | null;
  error?: string | null;
  responseBody?: string | null;
}

/** GET /v1/messages filters; times are ISO strings. */
export interface MessageFilters {
  eventType?: string;
  status?: MessageStatus;
  endpointId?: string;
  since?: string;
  until?: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

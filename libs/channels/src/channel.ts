/**
 * The port every channel adapter implements. An adapter classifies what happened; it never throws
 * for a failed delivery, and the scheduler decides what each outcome means for the schedule.
 */
export type AttemptOutcome =
  /** The recipient acknowledged: stop. */
  | 'delivered'
  /** Worth retrying on the schedule (timeouts, 5xx, 4xx other than 410, SMTP 4xx, ...). */
  | 'transient'
  /** Retrying cannot help (SMTP 5xx, a refused target, a missing channel setting): fail now. */
  | 'permanent'
  /** The endpoint says it no longer exists (HTTP 410): fail and disable the endpoint. */
  | 'gone';

export interface AttemptResult {
  outcome: AttemptOutcome;
  durationMs: number;
  statusCode?: number;
  error?: string;
  /** The first 1 KiB of the response. */
  responseBody?: string;
  /** Wait at least this long before the next attempt (Retry-After on 429/503). */
  retryAfterMs?: number;
}

export interface EndpointTarget {
  id: string;
  url?: string;
  to?: string;
  headers: Record<string, string>;
  /** Secrets that sign this attempt: the current one and a rotated-out one still in its grace period. */
  secrets: string[];
  timeoutMs: number;
  successBody?: string;
  template?: { subject?: string; text?: string; html?: string };
}

export interface DeliveryJob {
  messageId: string;
  eventType: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  endpoint: EndpointTarget;
}

export interface NotificationChannel {
  send(job: DeliveryJob): Promise<AttemptResult>;
}

export const RESPONSE_EXCERPT_BYTES = 1024;

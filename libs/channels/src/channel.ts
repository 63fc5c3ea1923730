/**
 * The port every channel adapter implements. An adapter classifies what happened; it never throws
 * for a failed delivery, and the scheduler decides what each outcome means for the schedule.
 * docs/channels.md has the table of every channel's answers and their outcomes.
 */
export type AttemptOutcome =
  /** The recipient acknowledged: stop. */
  | 'delivered'
  /** Worth retrying on the schedule (timeouts, webhook 4xx/5xx other than 410, SMTP 4xx, SMS 429/5xx, ...). */
  | 'transient'
  /** Retrying cannot help (SMTP 5xx, SMS 4xx such as an invalid number, a refused target, a missing channel setting): fail now. */
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
  /** To an ordered endpoint: the message's ordering key and its number there. */
  ordering?: { key: string; sequence: number };
}

export interface NotificationChannel {
  send(job: DeliveryJob): Promise<AttemptResult>;
  /** Releases pooled connections at shutdown, after the last attempt. */
  close?(): void;
}

/**
 * The answers by which a recipient asks to be sent less for a while (429 Too Many Requests, 503
 * Service Unavailable): their Retry-After is honoured, and they shrink the endpoint's limit.
 */
export function asksToBackOff(statusCode: number | undefined): boolean {
  return statusCode === 429 || statusCode === 503;
}

export const RESPONSE_EXCERPT_BYTES = 1024;

/**
 * The first RESPONSE_EXCERPT_BYTES of a response, as UTF-8, cut on a character boundary.
 * `text.slice(0, 1024)` counts UTF-16 units: up to 3 KiB of CJK text.
 */
export function responseExcerpt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= RESPONSE_EXCERPT_BYTES) return text;
  let end = RESPONSE_EXCERPT_BYTES;
  // A continuation byte (10xxxxxx) at the cut means a character starts before it: leave it out.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

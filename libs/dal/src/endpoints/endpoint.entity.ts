import type { Channel } from '@app/contracts';

export interface EndpointSecret {
  secret: string;
  /** Set on a rotated-out secret: it keeps signing beside the new one until then. */
  expiresAt?: Date;
}

export interface EndpointTemplate {
  subject?: string;
  text?: string;
  html?: string;
}

export interface EndpointEntity {
  _id: string;
  appId: string;
  channel: Channel;
  url?: string;
  to?: string;
  eventTypes: string[];
  /** Absent: the platform's RETRY_SCHEDULE applies. */
  retrySchedule?: number[];
  timeoutMs: number;
  successBody?: string;
  rateLimitPerSecond?: number;
  headers: Record<string, string>;
  template?: EndpointTemplate;
  /** Another endpoint of the same app that gets the message when a delivery here ends `failed`. */
  fallbackEndpointId?: string;
  description?: string;
  enabled: boolean;
  /** Messages of one orderingKey are delivered here one at a time, in order. Absent: false. */
  ordered?: boolean;
  /** With `ordered`: a failed delivery holds its key until redelivered or skipped. Absent: false. */
  orderedBlockOnFailure?: boolean;
  disabledReason?: string;
  /**
   * The app's endpoints quota place this endpoint holds, 0..quota-1, one endpoint per place (a
   * unique index): see EndpointRepository.createWithinQuota. Absent on endpoints created before
   * places existed; they count against the quota all the same.
   */
  quotaPlace?: number;
  consecutiveFailures: number;
  lastSuccessAt?: Date;
  lastFailureAt?: Date;
  /** The first failure of the current streak of failures (absent after a success). */
  failingSince?: Date;
  /**
   * The circuit breaker (docs/operations.md). Set while the endpoint's circuit is open: until then
   * its due deliveries are postponed without an attempt. Once past, one probe attempt decides.
   */
  circuitOpenUntil?: Date;
  /** How many times the circuit opened in this failure streak: each cool-down doubles. */
  circuitOpenings?: number;
  /** A probe attempt holds the half-open circuit until circuitOpenUntil. */
  circuitProbing?: boolean;
  /**
   * The last health batch applied from each of the most recent outcome writers (notifier
   * processes), at most HEALTH_WRITES_KEPT of them: a batch written again after a partial write
   * is recognised and not counted twice (EndpointHealthRepository.record).
   */
  healthWrites?: HealthWrite[];
  /** Newest first. */
  secrets: EndpointSecret[];
  /** When the secret was last rotated, newest first, as many as SECRET_ROTATION_LIMIT: its rate limit. */
  secretRotations?: Date[];
  recipientTokenHash: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Which batch of which outcome writer a health update belongs to. */
export interface HealthWrite {
  /** The writer's id, random per notifier process. */
  writer: string;
  /** Increasing per writer; a batch written again keeps its number. */
  batch: number;
}

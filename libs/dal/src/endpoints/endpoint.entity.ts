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
  description?: string;
  enabled: boolean;
  disabledReason?: string;
  consecutiveFailures: number;
  lastSuccessAt?: Date;
  lastFailureAt?: Date;
  /** Newest first. */
  secrets: EndpointSecret[];
  recipientTokenHash: string;
  createdAt: Date;
  updatedAt: Date;
}

import type { MessageStatus } from '@app/contracts';

export interface MessageEntity {
  _id: string;
  appId: string;
  eventType: string;
  payload: Record<string, unknown>;
  idempotencyKey?: string;
  /** Its ordering key: ordered endpoints get the messages of one key one at a time, in order. */
  orderingKey?: string;
  /**
   * Fixed at intake, so a replayed intake recreates exactly these deliveries; a fallback endpoint
   * is added once its delivery exists (the delivery first, so a replay never creates one early).
   */
  targetEndpointIds: string[];
  status: MessageStatus;
  /** The last status refresh to start: only its write lands (MessageRepository.refreshStatus). */
  statusRefresh?: string;
  /** The last position handed out in this message's attempt list (AttemptRepository). */
  attemptSeq?: number;
  /**
   * The trace context of the span that stored it (propagator fields: `traceparent`, ...), set
   * while tracing is on: its first attempt continues that trace, later ones link to it.
   */
  trace?: Record<string, string>;
  createdAt: Date;
}

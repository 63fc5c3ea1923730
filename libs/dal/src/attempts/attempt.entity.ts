export interface AttemptEntity {
  _id: string;
  appId: string;
  messageId: string;
  deliveryId: string;
  endpointId: string;
  /** 1-based. */
  attempt: number;
  startedAt: Date;
  durationMs: number;
  outcome: 'succeeded' | 'failed';
  statusCode?: number;
  error?: string;
  /** The first 1 KiB of what the endpoint answered. */
  responseBody?: string;
  /** Its position in the message's attempt list, given when a reader first sees it. */
  seq?: number;
}

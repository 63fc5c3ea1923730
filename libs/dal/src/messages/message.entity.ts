import type { MessageStatus } from '@app/contracts';

export interface MessageEntity {
  _id: string;
  appId: string;
  eventType: string;
  payload: Record<string, unknown>;
  idempotencyKey?: string;
  /** Fixed at intake, so a replayed intake recreates exactly these deliveries. */
  targetEndpointIds: string[];
  status: MessageStatus;
  createdAt: Date;
}

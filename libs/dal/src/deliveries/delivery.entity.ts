import type { Channel, DeliveryStatus } from '@app/contracts';

export interface DeliveryEntity {
  _id: string;
  appId: string;
  messageId: string;
  endpointId: string;
  channel: Channel;
  status: DeliveryStatus;
  attemptCount: number;
  /**
   * When the next attempt is due. While a worker holds the delivery this is its lease expiry: if
   * the worker dies, the delivery simply falls due again and another worker claims it.
   */
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastError: string | null;
  deliveredAt: Date | null;
  /** The claim that holds the lease; outcome writes are fenced on it. */
  claimToken: string | null;
  createdAt: Date;
  updatedAt: Date;
}

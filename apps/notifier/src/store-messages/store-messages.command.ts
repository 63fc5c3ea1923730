import type { PublishMessage } from '@app/contracts';
import type { DeliveryEntity } from '@app/dal';

export interface IncomingMessage extends PublishMessage {
  appId: string;
  /** The id the HTTP API already answered with; absent for messages published straight to AMQP. */
  assignedId?: string;
}

export interface StoreMessagesCommand {
  messages: IncomingMessage[];
  /** How many of the new deliveries this worker can attempt right away (claimed at insert). */
  claimCapacity: number;
}

export type StoreResult = { stored: true; messageId: string } | { stored: false; reason: string };

export interface StoreMessagesResult {
  /** One per command message, same order. */
  results: StoreResult[];
  /** Deliveries inserted already claimed by this worker: attempt them now. */
  claimed: DeliveryEntity[];
  claimToken: string;
}

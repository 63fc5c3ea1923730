import type { PublishMessage } from '@app/contracts';
import type { DeliveryEntity, EndpointEntity, MessageEntity } from '@app/dal';

export interface IncomingMessage extends PublishMessage {
  appId: string;
  /** The id the HTTP API already answered with; absent for messages published straight to AMQP. */
  assignedId?: string;
  /**
   * For a message with neither an idempotency key nor an assigned id: a new id, chosen once when
   * the message arrives, so storing it again after a failed write finds the first copy. No stored
   * message can have it, which lets its deliveries be written beside it.
   */
  mintedId?: string;
}

/** This worker's free attempt slots (the dispatcher's). */
export interface DeliverySlots {
  /** Holds up to `wanted` slots; returns how many it holds. */
  reserve(wanted: number): number;
  release(count: number): void;
  /**
   * How many more deliveries of this endpoint this worker may claim now (ENDPOINT_CONCURRENCY
   * running, and a few rounds waiting: see DeliveryDispatcher). `timeoutMs` is the endpoint's.
   */
  roomFor?(endpointId: string, timeoutMs?: number): number;
}

export interface StoreMessagesCommand {
  messages: IncomingMessage[];
  /** As many new deliveries as it grants are claimed at insert, to be attempted right away. */
  slots: DeliverySlots;
}

export type StoreResult = { stored: true; messageId: string } | { stored: false; reason: string };

export interface StoreMessagesResult {
  /** One per command message, same order. */
  results: StoreResult[];
  /** Deliveries inserted already claimed by this worker: attempt them now. */
  claimed: DeliveryEntity[];
  claimToken: string;
  /** Slots held for `claimed` (at least as many); the caller hands them to the dispatcher. */
  reserved: number;
  /** Deliveries written due now but not claimed (no room here): the scheduler's to take. */
  unclaimed: number;
  /** The claimed deliveries' endpoints and messages: attempting them needs no lookup. */
  endpoints: ReadonlyMap<string, EndpointEntity>;
  messages: ReadonlyMap<string, MessageEntity>;
}

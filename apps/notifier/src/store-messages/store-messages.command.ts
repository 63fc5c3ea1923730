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
  /** Its store span's trace context (tracing on), kept with the message for its attempts. */
  trace?: Record<string, string>;
}

/** This worker's delivery slots (the dispatcher's, counted by the SlotAccountant). */
export interface DeliverySlots {
  /**
   * Takes a slot for a delivery of this app and endpoint if both have room here (the app's fair
   * share, the endpoint's adaptive limit); says whether. `timeoutMs` is the endpoint's.
   */
  tryTake(appId: string, endpointId: string, timeoutMs?: number): boolean;
  /**
   * Whether a delivery of this endpoint just taken would start at once rather than wait here
   * behind others, after `starting` others of the same batch start.
   */
  startsAtOnce(endpointId: string, starting: number): boolean;
  giveBack(appId: string, endpointId: string): void;
}

export interface StoreMessagesCommand {
  messages: IncomingMessage[];
  /** New deliveries it has slots for are claimed at insert, to be attempted right away. */
  slots: DeliverySlots;
}

export type StoreResult = { stored: true; messageId: string } | { stored: false; reason: string };

/** What intake wrote unconfirmed (UNCONFIRMED), by id. */
export interface Unconfirmed {
  messageIds: string[];
  deliveryIds: string[];
}

/** True when nothing was written unconfirmed: the broker may be acknowledged at once. */
export function noneUnconfirmed({ messageIds, deliveryIds }: Unconfirmed): boolean {
  return messageIds.length === 0 && deliveryIds.length === 0;
}

export interface StoreMessagesResult {
  /** One per command message, same order. */
  results: StoreResult[];
  /** Deliveries inserted already claimed by this worker, each holding a slot: attempt them now. */
  claimed: DeliveryEntity[];
  claimToken: string;
  /**
   * What was written unconfirmed (messages with minted ids and the deliveries claimed beside
   * them): the broker is acknowledged once a majority holds it all (IntakeConfirmation).
   */
  unconfirmed: Unconfirmed;
  /** Deliveries written due now but not claimed (no room here): the scheduler's to take. */
  unclaimed: number;
  /** The claimed deliveries' endpoints and messages: attempting them needs no lookup. */
  endpoints: ReadonlyMap<string, EndpointEntity>;
  messages: ReadonlyMap<string, MessageEntity>;
}

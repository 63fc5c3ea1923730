import type { Channel, DeliveryStatus } from '@app/contracts';

export interface DeliveryOrdering {
  key: string;
  sequence: number;
}

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
  /**
   * Attempts made before the current schedule began: a redelivery or recovery starts the schedule
   * over while attempts keep their numbers. Absent means 0.
   */
  scheduleOffset?: number;
  /**
   * The delivery's position in its endpoint's inbox, given the first time an inbox reader could
   * see it (see InboxRepository). Absent until then.
   */
  inboxSeq?: number;
  /** Set on a fallback delivery: the failed delivery it stands in for. */
  fallbackFor?: string;
  /** How many fallbacks led here (1 for a first fallback); bounds fallback chains. */
  fallbackDepth?: number;
  /**
   * Set just before an attempt starts, cleared with its outcome. Still set when the delivery is
   * claimed again means the attempt started and its lease expired without an outcome: its
   * notifier died (or lost MongoDB) during the attempt. Absent or null otherwise.
   */
  attemptStartedAt?: Date | null;
  /**
   * The claim whose attempts of this delivery may start without a write of their own: set by the
   * write that claims it (or inserts it claimed) when nothing marks it started yet, cleared with
   * the outcome. A claim that finds another claim's token here does not know whether that
   * attempt started (its notifier died after the claim): it does not count it as abandoned, but
   * marks the next attempt started, before it starts (ADR 0010). Absent or null otherwise.
   */
  readyClaim?: string | null;
  /**
   * To an ordered endpoint, of a message with an ordering key: the key and the message's number
   * within it at this endpoint (1, 2, ...). Such a delivery is stored `held` and becomes `pending`
   * once the previous one of its key ended (OrderingKeyRepository).
   */
  ordering?: DeliveryOrdering;
  /**
   * Set with the outcome that ends an ordered delivery, cleared once its key was handed on to the
   * next delivery; a notifier that dies between the two leaves it set for the ordering repair.
   */
  orderingHandOffStale?: boolean;
  /** Attempts that started and never reported an outcome (see attemptStartedAt). Absent means 0. */
  abandonedAttempts?: number;
  createdAt: Date;
  updatedAt: Date;
}

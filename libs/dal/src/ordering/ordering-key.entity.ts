/** Why a key is held after a failure (orderedBlockOnFailure), until redelivered or skipped. */
export interface OrderingKeyBlock {
  deliveryId: string;
  messageId: string;
  sequence: number;
  reason: string;
  since: Date;
}

/**
 * One per (ordered endpoint, ordering key): the last sequence given out, and whose turn it is.
 * Its id is `<endpointId>/<key>` (endpoint ids hold no `/`), so every write finds it by _id.
 */
export interface OrderingKeyEntity {
  _id: string;
  appId: string;
  endpointId: string;
  key: string;
  /** The sequence given to the key's last message at this endpoint (the first is 1). */
  lastSequence: number;
  /** The delivery whose turn it is (pending: attempted or about to be), or null. */
  active: string | null;
  /** Set while a failed delivery holds the key (orderedBlockOnFailure). */
  blocked: OrderingKeyBlock | null;
  /** Changes with every write that numbers or hands on: hand-overs are fenced on it. */
  version: number;
  /**
   * When deliveries were last added held and not handed on yet, or the key was handed to a
   * delivery not released yet: the ordering repair hands on a key left so (its notifier died
   * between the two writes). Null once handed on and released.
   */
  checkSince: Date | null;
  /** Set by the hand-on round that last took the key: tells it its take held (hand-on-keys.ts). */
  handOnToken?: string;
  createdAt: Date;
  updatedAt: Date;
}

export function orderingKeyId(endpointId: string, key: string): string {
  return `${endpointId}/${key}`;
}

import { newId } from '@app/common';
import type { EndpointEntity } from '../endpoints/endpoint.entity';
import type { DeliveryEntity, DeliveryOrdering } from './delivery.entity';

/** What a new delivery is of and to, and how it starts. */
export interface NewDeliveryOf {
  appId: string;
  messageId: string;
  endpoint: Pick<EndpointEntity, '_id' | 'channel'>;
  /** When its first attempt is due; default: at once. */
  dueAt?: Date;
  /**
   * Claimed as it is written, by this claim: due again when the lease ends, and marked ready for
   * its attempt (ADR 0010), started too when `startedAt` is set (it starts at once).
   */
  claim?: { claimToken: string; leaseUntil: Date; startedAt: Date | null };
  /** A fallback: the failed delivery it stands in for, and its depth (1 for a first fallback). */
  fallback?: { for: string; depth: number };
  /**
   * To an ordered endpoint: stored `held` until its key hands on to it (its sequence is given
   * before it is written); due then, or at `dueAt` if later.
   */
  ordering?: DeliveryOrdering;
}

/** A delivery not attempted yet: every new delivery (fan-out, fallback) is made here. */
export function newDelivery(of: NewDeliveryOf, now: Date): DeliveryEntity {
  return {
    _id: newId('dlv'),
    appId: of.appId,
    messageId: of.messageId,
    endpointId: of.endpoint._id,
    channel: of.endpoint.channel,
    status: of.ordering === undefined ? 'pending' : 'held',
    attemptCount: 0,
    nextAttemptAt: of.claim?.leaseUntil ?? of.dueAt ?? now,
    lastAttemptAt: null,
    lastError: null,
    deliveredAt: null,
    claimToken: of.claim?.claimToken ?? null,
    ...(of.claim === undefined
      ? {}
      : { readyClaim: of.claim.claimToken, attemptStartedAt: of.claim.startedAt }),
    ...(of.fallback === undefined
      ? {}
      : { fallbackFor: of.fallback.for, fallbackDepth: of.fallback.depth }),
    ...(of.ordering === undefined ? {} : { ordering: of.ordering }),
    createdAt: now,
    updatedAt: now,
  };
}

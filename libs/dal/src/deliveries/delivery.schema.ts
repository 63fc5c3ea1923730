import { OPEN_DELIVERY_STATUSES } from '@app/contracts';
import { Schema } from 'mongoose';
import type { DeliveryEntity } from './delivery.entity';

export const deliverySchema = new Schema<DeliveryEntity>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    messageId: { type: String, required: true },
    endpointId: { type: String, required: true },
    channel: { type: String, required: true },
    status: { type: String, required: true },
    attemptCount: { type: Number, required: true },
    nextAttemptAt: Date,
    lastAttemptAt: Date,
    lastError: String,
    deliveredAt: Date,
    claimToken: String,
    scheduleOffset: Number,
    inboxSeq: Number,
    fallbackFor: String,
    fallbackDepth: Number,
    attemptStartedAt: Date,
    readyClaim: String,
    abandonedAttempts: Number,
    ordering: { type: { _id: false, key: String, sequence: Number }, default: undefined },
    orderingHandOffStale: Boolean,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** The claim's index, named in its reads' hints. */
export const DUE_BY_APP_INDEX = 'due_pending_by_app';

// The scheduler's claim, fair between apps (ADR 0008): which apps have due deliveries (a covered
// read per app, skipping to the next app's keys), then each app's oldest due ones. Also the
// backlog (countDue, notify_delivery_backlog), app by app. Partial, so finished deliveries cost
// it nothing; still, every claim and every outcome changes a key of it, so it stays the only one.
deliverySchema.index(
  { appId: 1, nextAttemptAt: 1 },
  { partialFilterExpression: { status: 'pending' }, name: DUE_BY_APP_INDEX },
);
// A message's deliveries (GET /v1/messages/:id); unique so a replayed intake creates no twin.
deliverySchema.index({ messageId: 1, endpointId: 1 }, { unique: true });
// An endpoint's open deliveries: cancelling them when it is deleted, postponing its due ones when
// its circuit opens. Partial, and keyed on nothing a retry changes: a delivery enters it when it
// is created and leaves it when it ends; claims and retries in between cost it nothing. A read
// of several statuses names exactly OPEN_DELIVERY_STATUSES: MongoDB 7.0 takes a partial index for
// an $in only when it is the filter's own list (query-plans.int-spec.ts checks each read).
deliverySchema.index(
  { endpointId: 1, status: 1 },
  {
    partialFilterExpression: { status: { $in: [...OPEN_DELIVERY_STATUSES] } },
    name: 'open_by_endpoint',
  },
);
// An endpoint's failed deliveries by when they ended (updatedAt), for recovery. Partial: only a
// delivery that fails enters it.
deliverySchema.index(
  { endpointId: 1, updatedAt: 1 },
  { partialFilterExpression: { status: 'failed' }, name: 'failed_by_endpoint' },
);
// GET /v1/inbox: an endpoint's deliveries in inbox order (inboxSeq > cursor), and the inbox's
// search for deliveries without a position yet (inboxSeq null, oldest createdAt first).
deliverySchema.index({ endpointId: 1, inboxSeq: 1, createdAt: 1, _id: 1 });
// GET /v1/inbox?status=: the same walk restricted to one delivery status (cursors are positions,
// never below 0). Partial on a position, as inbox_since: a delivery nobody reads from an inbox
// costs it nothing when its status changes.
deliverySchema.index(
  { endpointId: 1, status: 1, inboxSeq: 1 },
  { partialFilterExpression: { inboxSeq: { $gt: 0 } }, name: 'inbox_by_status' },
);
// GET /v1/inbox?since= (notify listen): an endpoint's inbox deliveries created since a time,
// sorted by inboxSeq in memory (a short recent window). Partial on a position: a delivery enters
// it when an inbox reader gives it one, so deliveries nobody reads from an inbox cost nothing.
deliverySchema.index(
  { endpointId: 1, createdAt: 1, inboxSeq: 1 },
  { partialFilterExpression: { inboxSeq: { $gt: 0 } }, name: 'inbox_since' },
);
// Ordered delivery (OrderingKeyRepository): a key's held deliveries, lowest sequence first.
// Partial, so only deliveries waiting their turn cost it anything.
deliverySchema.index(
  { endpointId: 1, 'ordering.key': 1, 'ordering.sequence': 1 },
  { partialFilterExpression: { status: 'held' }, name: 'held_by_key' },
);
// The ordering repair: ended ordered deliveries whose key was not handed on, oldest first.
deliverySchema.index(
  { updatedAt: 1 },
  { partialFilterExpression: { orderingHandOffStale: true }, name: 'ordering_hand_off_stale' },
);

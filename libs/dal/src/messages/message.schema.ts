import { ENDED_MESSAGE_STATUSES } from '@app/contracts';
import { Schema } from 'mongoose';
import type { MessageEntity } from './message.entity';

export const messageSchema = new Schema<MessageEntity>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    eventType: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    idempotencyKey: String,
    orderingKey: String,
    targetEndpointIds: { type: [String], required: true },
    status: { type: String, required: true },
    statusRefresh: String,
    attemptSeq: Number,
    trace: { type: Schema.Types.Mixed, required: false },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

// GET /v1/messages: an app's messages newest first, walked with a (createdAt, _id) cursor.
messageSchema.index({ appId: 1, createdAt: -1, _id: -1 });
// GET /v1/messages?eventType= and ?status= filters, same order.
messageSchema.index({ appId: 1, eventType: 1, createdAt: -1, _id: -1 });
messageSchema.index({ appId: 1, status: 1, createdAt: -1, _id: -1 });
// GET /v1/messages?endpointId=: messages fanned out to an endpoint (multikey), same order.
messageSchema.index({ appId: 1, targetEndpointIds: 1, createdAt: -1, _id: -1 });
// RETENTION (RetentionRepository.removeEnded): ended messages older than a cutoff, oldest first.
// Partial: a message enters it when it ends, rather than entering it pending and moving then.
// The sweep names exactly ENDED_MESSAGE_STATUSES, as a partial index's $in must be matched.
messageSchema.index(
  { status: 1, createdAt: 1, _id: 1 },
  {
    partialFilterExpression: { status: { $in: [...ENDED_MESSAGE_STATUSES] } },
    name: 'ended_by_age',
  },
);
// Idempotency: one message per (app, key). No query reads through it: a keyed message's id derives
// from (app, key) (ADR 0002), so _id keeps it single; this guards that for any other write path.
messageSchema.index(
  { appId: 1, idempotencyKey: 1 },
  { unique: true, partialFilterExpression: { idempotencyKey: { $type: 'string' } } },
);

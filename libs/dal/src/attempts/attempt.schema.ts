import { Schema } from 'mongoose';
import type { AttemptEntity } from './attempt.entity';

export const attemptSchema = new Schema<AttemptEntity>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    messageId: { type: String, required: true },
    deliveryId: { type: String, required: true },
    endpointId: { type: String, required: true },
    attempt: { type: Number, required: true },
    startedAt: { type: Date, required: true },
    durationMs: { type: Number, required: true },
    outcome: { type: String, required: true },
    statusCode: Number,
    error: String,
    responseBody: String,
    seq: Number,
  },
  { versionKey: false },
);

// GET /v1/messages/:id/attempts: a message's attempts in position order, walked with a cursor
// (seq > cursor); and those without a position yet, oldest start first (seq: null).
attemptSchema.index({ messageId: 1, seq: 1, startedAt: 1, _id: 1 });

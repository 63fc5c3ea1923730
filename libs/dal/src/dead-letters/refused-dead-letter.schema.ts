import { Schema } from 'mongoose';
import type { RefusedDeadLetterEntity } from './refused-dead-letter.entity';

/**
 * Capped (oldest records go first, by size and by count): while the dead-letter queue stays full
 * a hostile producer can make intake refuse without end, and this record must not fill MongoDB
 * in its turn. The cap is a MongoDB collection option, set when the collection is created.
 */
export const REFUSED_DEAD_LETTERS_CAP = { size: 16 * 1024 * 1024, max: 10_000 };

export const refusedDeadLetterSchema = new Schema<RefusedDeadLetterEntity>(
  {
    _id: { type: String, required: true },
    appId: { type: String, default: null },
    reason: { type: String, required: true },
    refusal: { type: String, required: true },
    size: { type: Number, required: true },
    routingKey: { type: String, required: true },
    messageId: { type: String, default: null },
    refusedAt: { type: Date, required: true },
  },
  { versionKey: false, capped: REFUSED_DEAD_LETTERS_CAP },
);

// GET /v1/dead-letters/refused: newest first with a cursor.
refusedDeadLetterSchema.index({ refusedAt: -1, _id: -1 });

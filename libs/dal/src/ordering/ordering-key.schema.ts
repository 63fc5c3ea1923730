import { Schema } from 'mongoose';
import type { OrderingKeyEntity } from './ordering-key.entity';

export const orderingKeySchema = new Schema<OrderingKeyEntity>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    endpointId: { type: String, required: true },
    key: { type: String, required: true },
    lastSequence: { type: Number, required: true },
    active: String,
    blocked: { type: Schema.Types.Mixed },
    version: { type: Number, required: true },
    checkSince: Date,
    handOnToken: String,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

// GET /v1/endpoints/:id/ordering-keys: an endpoint's keys in (createdAt, _id) order, cursor.
orderingKeySchema.index({ endpointId: 1, createdAt: 1, _id: 1 });
// The same list with ?blocked=true. Partial: only blocked keys are in it (the trailing field only
// tells it apart from the index above).
orderingKeySchema.index(
  { endpointId: 1, createdAt: 1, _id: 1, 'blocked.since': 1 },
  {
    partialFilterExpression: { 'blocked.deliveryId': { $type: 'string' } },
    name: 'blocked_by_endpoint',
  },
);
// The ordering repair: keys given deliveries that were never handed on, oldest first. Partial.
orderingKeySchema.index(
  { checkSince: 1 },
  { partialFilterExpression: { checkSince: { $type: 'date' } }, name: 'unchecked' },
);

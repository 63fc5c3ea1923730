import { Schema } from 'mongoose';
import type { EventTypeEntity } from './event-type.entity';

export const eventTypeSchema = new Schema<EventTypeEntity>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    schemaJson: String,
    examplesJson: String,
    deprecated: { type: Boolean, required: true },
    version: { type: Number, required: true },
    archivedAt: Date,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

// PUT/GET/DELETE /v1/event-types/:name and the validators' lookups: one event type per app and name.
eventTypeSchema.index({ appId: 1, name: 1 }, { unique: true });
// GET /v1/event-types: an app's event types, newest first with a cursor.
eventTypeSchema.index({ appId: 1, createdAt: -1, _id: -1 });

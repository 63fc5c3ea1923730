import { Schema } from 'mongoose';
import type { AppEntity } from './app.entity';

export const appSchema = new Schema<AppEntity>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    apiKeyHash: { type: String, required: true },
    previousApiKeyHash: String,
    previousApiKeyExpiresAt: Date,
    createdAt: { type: Date, required: true },
    quotas: { type: Schema.Types.Mixed },
    brokerUser: String,
    requireRegisteredEventTypes: Boolean,
  },
  { versionKey: false },
);

// Authenticating an app key: one lookup by the key's hash.
appSchema.index({ apiKeyHash: 1 }, { unique: true });
// Authenticating an app key during its grace period after a rotation.
appSchema.index(
  { previousApiKeyHash: 1 },
  { partialFilterExpression: { previousApiKeyHash: { $exists: true } } },
);
// GET /v1/apps: newest first with a cursor.
appSchema.index({ createdAt: -1, _id: -1 });

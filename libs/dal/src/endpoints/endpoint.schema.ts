import { Schema } from 'mongoose';
import type { EndpointEntity } from './endpoint.entity';

export const endpointSchema = new Schema<EndpointEntity>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    channel: { type: String, required: true },
    url: String,
    to: String,
    eventTypes: { type: [String], required: true },
    retrySchedule: { type: [Number], default: undefined },
    timeoutMs: { type: Number, required: true },
    successBody: String,
    rateLimitPerSecond: Number,
    headers: { type: Schema.Types.Mixed, default: {} },
    template: { type: Schema.Types.Mixed },
    fallbackEndpointId: String,
    description: String,
    enabled: { type: Boolean, required: true },
    ordered: Boolean,
    orderedBlockOnFailure: Boolean,
    disabledReason: String,
    quotaPlace: Number,
    consecutiveFailures: { type: Number, required: true },
    lastSuccessAt: Date,
    lastFailureAt: Date,
    failingSince: Date,
    circuitOpenUntil: Date,
    circuitOpenings: Number,
    circuitProbing: Boolean,
    healthWrites: { type: [{ _id: false, writer: String, batch: Number }], default: undefined },
    secrets: [{ _id: false, secret: String, expiresAt: Date }],
    secretRotations: { type: [Date], default: undefined },
    recipientTokenHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

// GET /v1/endpoints (newest first, cursor) and intake's fan-out over an app's endpoints.
endpointSchema.index({ appId: 1, createdAt: -1, _id: -1 });
// Recipient-token authentication for the inbox.
endpointSchema.index({ recipientTokenHash: 1 }, { unique: true });
// The endpoints quota: one endpoint per place of an app (EndpointRepository.createWithinQuota).
endpointSchema.index(
  { appId: 1, quotaPlace: 1 },
  { unique: true, partialFilterExpression: { quotaPlace: { $exists: true } }, name: 'quota_place' },
);

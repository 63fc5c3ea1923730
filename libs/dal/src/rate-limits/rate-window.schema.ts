import { Schema } from 'mongoose';

/** How many attempts the notifiers took for one endpoint in one second (rateLimitPerSecond). */
export interface RateWindowEntity {
  /** `<endpointId>:<unix second>` */
  _id: string;
  count: number;
  expiresAt: Date;
}

export const rateWindowSchema = new Schema<RateWindowEntity>(
  {
    _id: { type: String, required: true },
    count: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

// TTL: a window is useless once its second is over; MongoDB removes it about a minute later.
rateWindowSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

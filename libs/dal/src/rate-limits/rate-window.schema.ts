import { Schema } from 'mongoose';

/** How much of a limit all processes took in one window (one second unless the id names another). */
export interface RateWindowEntity {
  /** `<key>:<unix second>`, or `<key>:<window ms>:<window number>` */
  _id: string;
  count: number;
  expiresAt: Date;
}

/** An app's intake pace (RateLimitRepository.pace), in the same collection. */
export interface PaceEntity {
  /** `pace:<key>` */
  _id: string;
  /** The first free slot. */
  next: Date;
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

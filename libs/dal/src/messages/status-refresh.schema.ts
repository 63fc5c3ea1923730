import { Schema } from 'mongoose';
import type { StatusRefreshEntity } from './status-refresh.entity';

export const statusRefreshSchema = new Schema<StatusRefreshEntity>(
  {
    _id: { type: String, required: true },
    messageIds: { type: [String], required: true },
    writtenAt: { type: Date, required: true },
  },
  { versionKey: false },
);

// The status repair: entries a notifier left behind, oldest first. Small: an entry lives from its
// batch's write to its refresh, moments later.
statusRefreshSchema.index({ writtenAt: 1 });

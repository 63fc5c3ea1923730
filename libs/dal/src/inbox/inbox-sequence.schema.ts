import { Schema } from 'mongoose';

/** One per endpoint: the last inbox position handed out. */
export interface InboxSequenceEntity {
  /** The endpoint's id. */
  _id: string;
  seq: number;
}

export const inboxSequenceSchema = new Schema<InboxSequenceEntity>(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true },
  },
  { versionKey: false },
);
// Only read and incremented by _id: no other index.

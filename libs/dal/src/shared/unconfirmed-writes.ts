import type { InsertManyOptions, Model, mongo } from 'mongoose';

/**
 * Acknowledged by the primary alone, not journaled: intake's first writes of a message whose id it
 * minted and of the deliveries it claims beside it, so that the first attempt does not wait for
 * the journal. They are not yet safe: a primary that dies before its journal flush, or is
 * replaced before a majority holds them, loses them. Intake acknowledges the broker only once
 * confirmHeld says a majority holds them, and stores the message again under its id if not.
 */
export const UNCONFIRMED: mongo.WriteConcernSettings = { w: 1, journal: false };

/**
 * How the repositories insert: unordered and lean, and `unconfirmed` with UNCONFIRMED. mongoose
 * hands the driver's options on, as its insertMany documents, though its type lists none of them.
 */
export function insertOptions(unconfirmed: boolean): InsertManyOptions {
  const options: InsertManyOptions & mongo.BulkWriteOptions = { ordered: false, lean: true };
  if (unconfirmed) options.writeConcern = UNCONFIRMED;
  return options;
}

/**
 * Whether a majority holds every one of these documents: a write that changes nothing, on them,
 * with the connection's majority write concern. A write that changes nothing still waits for all
 * that the primary wrote before it, so each document it matched is held by a majority once it
 * returns; one it did not match was lost. Throws once `timeoutMs` have passed without an answer
 * (the driver's timeoutMS: choosing a server, waiting for a connection, the server's work and
 * the reply all count), however long MongoDB would have kept it waiting. timeoutMS is marked
 * experimental in driver 6: unconfirmed-writes.int-spec holds it to this, so an upgrade that
 * changes it fails there.
 */
export async function confirmHeld<T extends { _id: string }>(
  model: Model<T>,
  ids: readonly string[],
  timeoutMs: number,
): Promise<boolean> {
  if (ids.length === 0) return true;
  const collection = model.collection as unknown as mongo.Collection<{ _id: string }>;
  const { matchedCount } = await collection.updateMany(
    { _id: { $in: [...ids] } },
    // Applies only to an upsert's insert, and this is none: nothing is written.
    { $setOnInsert: { _id: ids[0] } },
    { timeoutMS: timeoutMs },
  );
  return matchedCount === new Set(ids).size;
}

import type { Connection } from 'mongoose';
import { eventually } from './eventually';

/**
 * The server's cursors of the change streams open on the connection's database, one id each. A
 * database stream's cursor shows as `<db>.$cmd.aggregate` while idle and as `<db>.$cmd` while a
 * getMore waits on it; a collection stream's as `<db>.<collection>` either way.
 */
export async function changeStreamCursors(connection: Connection): Promise<unknown[]> {
  const database = connection.db!.databaseName;
  const ops = await connection
    .getClient()
    .db('admin')
    .aggregate([
      { $currentOp: { idleCursors: true } },
      { $match: { 'cursor.originatingCommand.pipeline.0.$changeStream': { $exists: true } } },
    ])
    .toArray();
  const ours = ops.filter((op) => String(op.ns).startsWith(`${database}.`));
  const ids = new Map(ours.map((op) => [String(op.cursor.cursorId), op.cursor.cursorId]));
  return [...ids.values()];
}

/** changeStreamCursors once there is one at least (a stream's cursor shows once it is opened). */
export function openChangeStreamCursors(connection: Connection): Promise<unknown[]> {
  return eventually(async () => {
    const cursors = await changeStreamCursors(connection);
    return cursors.length > 0 ? cursors : undefined;
  });
}

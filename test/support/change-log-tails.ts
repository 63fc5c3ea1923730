import type { Connection } from 'mongoose';
import { eventually } from './eventually';

/**
 * The server's tailable cursors on the change log of the connection's database (ChangeLog), one id
 * each: a tail shows as an idle cursor, or as the getMore that waits on it.
 */
export async function changeLogTails(connection: Connection): Promise<unknown[]> {
  const ops = await connection
    .getClient()
    .db('admin')
    .aggregate([
      { $currentOp: { idleCursors: true } },
      { $match: { ns: `${connection.db!.databaseName}.change_log`, 'cursor.tailable': true } },
    ])
    .toArray();
  const ids = new Map(ops.map((op) => [String(op.cursor.cursorId), op.cursor.cursorId]));
  return [...ids.values()];
}

/** changeLogTails once there is one at least (a tail's cursor shows once it is opened). */
export function openChangeLogTails(connection: Connection): Promise<unknown[]> {
  return eventually(async () => {
    const cursors = await changeLogTails(connection);
    return cursors.length > 0 ? cursors : undefined;
  });
}

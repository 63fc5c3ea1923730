import { mongo, type Connection } from 'mongoose';
import { ignoreNamespaceExists } from './mongo-errors';
import type { ChangeListener } from './watch-changes';

/** Every collection a repository follows (watchChanges): the one tail reports them all. */
export type FollowedCollection = 'endpoints' | 'event_types';

/** A document of a followed collection that was written: what a follower drops. */
export interface LoggedChange {
  collection: FollowedCollection;
  documentId: string;
  /** Known to most writers: a follower that is not told finds it from the document's id. */
  appId?: string;
  /** An event type's name. */
  name?: string;
}

/** A change, or the mark a tail leaves where it starts reading (no collection). */
type Entry = { _id: mongo.ObjectId } & Partial<LoggedChange>;

/** A follower of one collection: it is given the changes to its documents. */
type CollectionFollower = ChangeListener<LoggedChange>;

export const CHANGE_LOG = 'change_log';

/**
 * The log's size: thousands of entries, far more than the API writes between two reads of a tail
 * (milliseconds). A tail that falls further behind loses its place and fails; its followers then
 * drop what they hold and follow again, as after any failure.
 */
const CHANGE_LOG_BYTES = 1024 * 1024;

/**
 * Creates the change log (capped) unless it is there; one made uncapped (by a write after the
 * database was dropped) is capped.
 */
export async function ensureChangeLog(db: mongo.Db): Promise<void> {
  const [found] = await db.listCollections({ name: CHANGE_LOG }).toArray();
  if (found === undefined) {
    await db
      .createCollection(CHANGE_LOG, { capped: true, size: CHANGE_LOG_BYTES })
      .catch(ignoreNamespaceExists);
  } else if ((found as { options?: { capped?: boolean } }).options?.capped !== true) {
    await db.command({ convertToCapped: CHANGE_LOG, size: CHANGE_LOG_BYTES });
  }
}

/**
 * Records that these documents were written, after the write: every process following their
 * collection drops what it holds of them. What a process reads after the entry is tailed sees the
 * write; what it read before is dropped by the entry.
 */
export async function recordChanges(
  connection: Connection,
  changes: readonly LoggedChange[],
): Promise<void> {
  if (changes.length === 0) return;
  await connection.collection<Entry>(CHANGE_LOG).insertMany(
    changes.map((change) => ({ _id: new mongo.ObjectId(), ...change })),
    // Only what is known: an undefined field would be stored as null.
    { ignoreUndefined: true },
  );
}

interface Tail {
  cursor?: mongo.FindCursor<Entry>;
  /** The last entry read, change or mark. */
  lastRead?: mongo.ObjectId;
}

/** A follower's hold on the tail. */
export interface FollowedTail {
  close(): Promise<void>;
  /**
   * Whether the tail has read every entry the log holds now, so that every change recorded before
   * this call has been reported: one read of the log's last entry.
   */
  caughtUp(): Promise<boolean>;
}

const ofConnection = new WeakMap<Connection, ChangeLog>();

/**
 * The changes of the collections a process follows, as the writers of their documents record them
 * (recordChanges), read from one capped collection with a tailable cursor. A change stream did the
 * same at a price: MongoDB reads the whole oplog once for every stream open, whatever it follows,
 * which cost every write of every process (the drain of 100,000 retries 12 % of its time, mongod
 * 17 % of its CPU a delivery, docs/architecture.md); a tail reads the log's own few entries only.
 * What a writer of these collections does not record (an edit by hand in MongoDB) goes unseen
 * until ChangeFollower's expiry. A follower that comes later joins the tail as it is: it is never
 * opened again for one.
 */
export class ChangeLog {
  private readonly followers = new Map<string, Set<CollectionFollower>>();
  private tail: Tail | undefined;
  /** The tail has read its start mark: it misses nothing from then on. */
  private open = false;

  /** The one of this connection. */
  static of(connection: Connection): ChangeLog {
    let log = ofConnection.get(connection);
    if (log === undefined) {
      log = new ChangeLog(connection);
      ofConnection.set(connection, log);
    }
    return log;
  }

  private constructor(private readonly connection: Connection) {}

  /** Reports the changes to this collection's documents until closed. */
  follow(collection: FollowedCollection, follower: CollectionFollower): FollowedTail {
    const followers = this.followers.get(collection) ?? new Set();
    followers.add(follower);
    this.followers.set(collection, followers);
    // One that comes before the tail has opened is told with the others when it does.
    if (this.tail === undefined) this.start();
    else if (this.open) follower.ready();
    return {
      close: () => this.unfollow(collection, follower),
      caughtUp: () => this.caughtUp(),
    };
  }

  /**
   * The log's last entry, in the order the tail reads it (natural order: a capped collection
   * shows no entry before the ones inserted ahead of it are visible), is the last one it read.
   * A tail that read further while this read was in flight answers no, as does one not open.
   */
  private async caughtUp(): Promise<boolean> {
    const db = this.connection.db;
    if (!this.open || db === undefined) return false;
    const [last] = await db
      .collection<Entry>(CHANGE_LOG)
      .find({}, { sort: { $natural: -1 }, limit: 1, projection: { _id: 1 } })
      .toArray();
    const read = this.open ? this.tail?.lastRead : undefined;
    return last !== undefined && read !== undefined && last._id.equals(read);
  }

  private async unfollow(collection: string, follower: CollectionFollower): Promise<void> {
    this.followers.get(collection)?.delete(follower);
    if (this.followers.get(collection)?.size === 0) this.followers.delete(collection);
    if (this.followers.size > 0) return;
    await this.closeTail();
  }

  /** Closes the tail, deaf from now on: its end must not fail a tail opened meanwhile. */
  private async closeTail(): Promise<void> {
    const tail = this.tail;
    this.tail = undefined;
    this.open = false;
    await tail?.cursor?.close();
  }

  private start(): void {
    const tail: Tail = {};
    this.tail = tail;
    this.read(tail).catch((error: unknown) => {
      if (this.tail === tail) this.failAll(error);
    });
  }

  /**
   * Leaves a mark at the log's end and reads the log from its start: what comes before the mark
   * was written before this tail began, and is of no concern to followers that hold nothing yet.
   */
  private async read(tail: Tail): Promise<void> {
    const db = this.connection.db;
    if (db === undefined) throw new Error('not connected to MongoDB');
    await ensureChangeLog(db);
    const log = db.collection<Entry>(CHANGE_LOG);
    const start = new mongo.ObjectId();
    await log.insertOne({ _id: start });
    if (this.tail !== tail) return;
    tail.cursor = log.find({}, { tailable: true, awaitData: true });
    for await (const entry of tail.cursor) {
      if (this.tail !== tail) return;
      tail.lastRead = entry._id;
      if (this.open) this.dispatch(entry);
      else if (entry._id.equals(start)) this.opened();
    }
    if (this.tail === tail) throw new Error('the change log was emptied');
  }

  private opened(): void {
    this.open = true;
    for (const followers of this.followers.values()) for (const one of followers) one.ready();
  }

  private dispatch(entry: Entry): void {
    if (entry.collection === undefined || entry.documentId === undefined) return;
    for (const follower of this.followers.get(entry.collection) ?? []) {
      follower.changed(entry as LoggedChange);
    }
  }

  /** Every follower is told the tail ended, and is let go. */
  private failAll(error: unknown): void {
    void this.closeTail();
    const followers = [...this.followers.values()];
    this.followers.clear();
    for (const ones of followers) for (const follower of ones) follower.failed(error);
  }
}

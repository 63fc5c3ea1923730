import type { Connection, mongo } from 'mongoose';
import type { ChangeListener } from './watch-changes';

/** An event about one document, the only kind a follower is given. */
export type DocumentEvent<T extends mongo.Document = mongo.Document> =
  | mongo.ChangeStreamInsertDocument<T>
  | mongo.ChangeStreamUpdateDocument<T>
  | mongo.ChangeStreamReplaceDocument<T>
  | mongo.ChangeStreamDeleteDocument<T>;

/** A follower of one collection: it is given the events about its documents. */
type CollectionFollower = ChangeListener<DocumentEvent>;

const DOCUMENT_OPERATIONS: ReadonlySet<string> = new Set(['insert', 'update', 'replace', 'delete']);

/** Every collection a repository follows (watchChanges): the one stream reports them all. */
const FOLLOWED: readonly string[] = ['endpoints', 'event_types'];

const ofConnection = new WeakMap<Connection, DatabaseChanges>();

/**
 * One change stream of the database for every collection a process follows. MongoDB reads the
 * whole oplog once for every stream open, whatever collection it follows: 40,000 inserts into
 * another collection cost mongod (under wine) 0.8-0.9 s of CPU with no stream open and 0.3-0.4 s
 * more for each one (a script against the local MongoDB), so the notifier's two streams (endpoints,
 * event types) made every write it did cost up to twice as much. The stream reports every
 * collection in FOLLOWED, followed here or not (a process that follows one is sent the other's
 * few changes), so a follower that comes later joins it as it is: it is never opened again for
 * one, which would leave the stream it replaced to close while its getMore waits.
 */
export class DatabaseChanges {
  private readonly followers = new Map<string, Set<CollectionFollower>>();
  private stream: mongo.ChangeStream | undefined;
  /** The stream has reported where it starts: it misses nothing from then on. */
  private open = false;

  /** The one of this connection. */
  static of(connection: Connection): DatabaseChanges {
    let changes = ofConnection.get(connection);
    if (changes === undefined) {
      changes = new DatabaseChanges(connection);
      ofConnection.set(connection, changes);
    }
    return changes;
  }

  private constructor(private readonly connection: Connection) {}

  /** Reports the changes to this collection's documents until closed. */
  follow(collection: string, follower: CollectionFollower): { close(): Promise<void> } {
    if (!FOLLOWED.includes(collection)) {
      throw new Error(`${collection} is not among the collections followed (FOLLOWED)`);
    }
    const followers = this.followers.get(collection) ?? new Set();
    followers.add(follower);
    this.followers.set(collection, followers);
    // One that comes before the stream has opened is told with the others when it does.
    if (this.stream === undefined) this.start();
    else if (this.open) follower.ready();
    return { close: () => this.unfollow(collection, follower) };
  }

  private async unfollow(collection: string, follower: CollectionFollower): Promise<void> {
    this.followers.get(collection)?.delete(follower);
    if (this.followers.get(collection)?.size === 0) this.followers.delete(collection);
    if (this.followers.size > 0) return;
    await this.closeStream();
  }

  /**
   * Closes the stream, deaf from now on: its own closing, or an error, must not end a stream a
   * follower that comes meanwhile opens.
   */
  private async closeStream(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    this.open = false;
    stream?.removeAllListeners();
    await stream?.close();
  }

  private start(): void {
    const db = this.connection.db;
    if (db === undefined) {
      this.failAll(new Error('not connected to MongoDB'));
      return;
    }
    const stream = db.watch([
      {
        $match: {
          $or: [
            { 'ns.coll': { $in: FOLLOWED } },
            { operationType: { $in: ['dropDatabase', 'invalidate'] } },
          ],
        },
      },
    ]);
    this.stream = stream;
    stream.once('resumeTokenChanged', () => {
      this.open = true;
      for (const followers of this.followers.values()) for (const one of followers) one.ready();
    });
    stream.on('change', (event) => this.dispatch(event));
    stream.on('error', (error) => this.failAll(error));
    // Closed by the server (the database was dropped: an invalidate event).
    stream.on('close', () => this.failAll(new Error('the change stream was closed')));
  }

  private dispatch(event: mongo.ChangeStreamDocument): void {
    if (DOCUMENT_OPERATIONS.has(event.operationType)) {
      const { ns } = event as DocumentEvent;
      for (const follower of this.followers.get(ns.coll ?? '') ?? []) {
        follower.changed(event as DocumentEvent);
      }
      return;
    }
    if (event.operationType === 'drop' || event.operationType === 'rename') {
      const gone = [event.ns.coll, event.operationType === 'rename' ? event.to.coll : undefined];
      for (const collection of gone) {
        if (collection !== undefined) this.fail(collection, new Error(`${collection} was dropped`));
      }
      return;
    }
    // dropDatabase or invalidate: the stream ends.
    this.failAll(new Error(`the change stream ended: ${event.operationType}`));
  }

  /** This collection's followers are told that what they follow is gone, and are let go. */
  private fail(collection: string, error: unknown): void {
    const followers = this.followers.get(collection) ?? new Set();
    this.followers.delete(collection);
    for (const follower of followers) follower.failed(error);
  }

  private failAll(error: unknown): void {
    void this.closeStream();
    for (const collection of [...this.followers.keys()]) this.fail(collection, error);
  }
}

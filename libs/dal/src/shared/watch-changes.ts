import type { mongo } from 'mongoose';

/** Follows a collection's changes, each as the reader needs it (see watchChanges). */
export interface ChangeListener<C> {
  /** The stream is open: every change from now on is reported. */
  ready(): void;
  changed(change: C): void;
  /** The stream ended (after the driver's own resume failed): changes may be missed from now on. */
  failed(error: unknown): void;
}

/** A change to one document of a collection, by its id. */
export type DocumentChange<T> =
  | { operation: 'insert'; id: string; document: T }
  /** `fields`: the top-level names of the fields the update set or removed. */
  | { operation: 'update'; id: string; fields: string[] }
  | { operation: 'replace' | 'delete'; id: string };

/** The change to one document an event is, or undefined for an event of the whole collection. */
function documentChangeOf<T extends { _id: string }>(
  event: mongo.ChangeStreamDocument<T>,
): DocumentChange<T> | undefined {
  switch (event.operationType) {
    case 'insert':
      return { operation: 'insert', id: event.documentKey._id, document: event.fullDocument };
    case 'update': {
      const { updatedFields = {}, removedFields = [] } = event.updateDescription;
      const fields = [...Object.keys(updatedFields), ...removedFields];
      return {
        operation: 'update',
        id: event.documentKey._id,
        fields: [...new Set(fields.map((field) => field.split('.')[0]!))],
      };
    }
    case 'replace':
    case 'delete':
      return { operation: event.operationType, id: event.documentKey._id };
    // The collection or database went away (the stream ends after these) or changed shape.
    case 'create':
    case 'createIndexes':
    case 'drop':
    case 'dropDatabase':
    case 'dropIndexes':
    case 'invalidate':
    case 'modify':
    case 'refineCollectionShardKey':
    case 'rename':
    case 'reshardCollection':
    case 'shardCollection':
      return undefined;
  }
}

/**
 * Follows a collection with a change stream (a replica set's; a standalone MongoDB has none and
 * fails at once), reporting each change to a document that `changeOf` makes something of. The
 * driver resumes it by itself after an election.
 */
export function watchChanges<T extends { _id: string }, C>(
  collection: mongo.Collection<T>,
  changeOf: (change: DocumentChange<T>) => C | undefined,
  listener: ChangeListener<C>,
): { close(): Promise<void> } {
  const stream = collection.watch<T, mongo.ChangeStreamDocument<T>>([]);
  let ready = false;
  let ended = false;
  const end = (error: unknown) => {
    if (ended) return;
    ended = true;
    void stream.close();
    listener.failed(error);
  };
  stream.on('resumeTokenChanged', () => {
    if (ready) return;
    ready = true;
    listener.ready();
  });
  stream.on('change', (event) => {
    const document = documentChangeOf(event);
    const change = document === undefined ? undefined : changeOf(document);
    if (change !== undefined) listener.changed(change);
  });
  stream.on('error', end);
  // Closed by the server (the collection was dropped or renamed: an invalidate event).
  stream.on('close', () => end(new Error('the change stream was closed')));
  return {
    close: () => {
      ended = true;
      return stream.close();
    },
  };
}

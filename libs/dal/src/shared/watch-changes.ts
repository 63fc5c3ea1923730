import type { mongo } from 'mongoose';

/** Follows a collection's changes, each as the reader needs it (see watchChanges). */
export interface ChangeListener<C> {
  /** The stream is open: every change from now on is reported. */
  ready(): void;
  changed(change: C): void;
  /** The stream ended (after the driver's own resume failed): changes may be missed from now on. */
  failed(error: unknown): void;
}

/**
 * Follows a collection with a change stream (a replica set's; a standalone MongoDB has none and
 * fails at once), reporting each event `changeOf` makes something of. The driver resumes it by
 * itself after an election.
 */
export function watchChanges<T extends mongo.Document, C>(
  collection: mongo.Collection<T>,
  changeOf: (event: mongo.ChangeStreamDocument<T>) => C | undefined,
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
    const change = changeOf(event);
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

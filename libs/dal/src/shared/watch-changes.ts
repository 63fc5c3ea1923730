import type { Model } from 'mongoose';
import {
  ChangeLog,
  recordChanges,
  type FollowedCollection,
  type FollowedTail,
  type LoggedChange,
} from './change-log';

/** Follows a collection's changes, each as the reader needs it (see watchChanges). */
export interface ChangeListener<C> {
  /** The log is followed: every change from now on is reported. */
  ready(): void;
  changed(change: C): void;
  /** The tail ended (an election, the log dropped): changes may be missed from now on. */
  failed(error: unknown): void;
}

/** A change to one document of the model's collection, as its writer records it. */
export type DocumentChange = Omit<LoggedChange, 'collection'>;

/**
 * Follows the model's collection in the change log (ChangeLog), reporting each change recorded
 * of one of its documents (recordDocumentChanges) as `changeOf` makes it.
 */
export function watchChanges<T, C>(
  model: Model<T>,
  changeOf: (change: DocumentChange) => C,
  listener: ChangeListener<C>,
): FollowedTail {
  return ChangeLog.of(model.db).follow(collectionOf(model), {
    ready: () => listener.ready(),
    changed: (change) => listener.changed(changeOf(change)),
    failed: (error) => listener.failed(error),
  });
}

/** Records, after writing them, that these documents of the model's collection changed. */
export function recordDocumentChanges<T>(
  model: Model<T>,
  changes: readonly DocumentChange[],
): Promise<void> {
  const collection = collectionOf(model);
  return recordChanges(
    model.db,
    changes.map((change) => ({ collection, ...change })),
  );
}

function collectionOf<T>(model: Model<T>): FollowedCollection {
  return model.collection.collectionName as FollowedCollection;
}

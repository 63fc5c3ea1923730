import type { Model } from 'mongoose';
import { DatabaseChanges, type DocumentEvent } from './database-changes';

/** Follows a collection's changes, each as the reader needs it (see watchChanges). */
export interface ChangeListener<C> {
  /** The stream is open: every change from now on is reported. */
  ready(): void;
  changed(change: C): void;
  /**
   * The stream ended (after the driver's own resume failed), or the collection was dropped or
   * renamed: changes may be missed from now on.
   */
  failed(error: unknown): void;
}

/** A change to one document of a collection, by its id. */
export type DocumentChange<T> =
  | { operation: 'insert'; id: string; document: T }
  /** `fields`: the top-level names of the fields the update set or removed. */
  | { operation: 'update'; id: string; fields: string[] }
  | { operation: 'replace' | 'delete'; id: string };

function documentChangeOf<T extends { _id: string }>(event: DocumentEvent<T>): DocumentChange<T> {
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
  }
}

/**
 * Follows the model's collection with the database's change stream (DatabaseChanges; a
 * replica set's: a standalone MongoDB has none and fails at once), reporting each change to a
 * document that `changeOf` makes something of. The driver resumes it by itself after an election.
 */
export function watchChanges<T extends { _id: string }, C>(
  model: Model<T>,
  changeOf: (change: DocumentChange<T>) => C | undefined,
  listener: ChangeListener<C>,
): { close(): Promise<void> } {
  return DatabaseChanges.of(model.db).follow(model.collection.collectionName, {
    ready: () => listener.ready(),
    changed: (event) => {
      const change = changeOf(documentChangeOf(event as DocumentEvent<T>));
      if (change !== undefined) listener.changed(change);
    },
    failed: (error) => listener.failed(error),
  });
}

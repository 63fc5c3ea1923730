import type { mongo } from 'mongoose';
import { watchChanges, type ChangeListener } from '../shared/watch-changes';
import type { EventTypeEntity } from './event-type.entity';

/** An event type that was registered, changed or archived. */
export interface EventTypeChange {
  eventTypeId: string;
  /** Known for one just created; otherwise the reader knows which app and name it held it for. */
  appId?: string;
  name?: string;
}

export type EventTypeChangeListener = ChangeListener<EventTypeChange>;

function changeOf(event: mongo.ChangeStreamDocument<EventTypeEntity>): EventTypeChange | undefined {
  switch (event.operationType) {
    case 'insert':
      return {
        eventTypeId: event.documentKey._id,
        appId: event.fullDocument.appId,
        name: event.fullDocument.name,
      };
    case 'update':
    case 'replace':
    case 'delete':
      return { eventTypeId: event.documentKey._id };
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

/** Follows the event_types collection (see watchChanges). */
export function watchEventTypeChanges(
  collection: mongo.Collection<EventTypeEntity>,
  listener: EventTypeChangeListener,
): { close(): Promise<void> } {
  return watchChanges(collection, changeOf, listener);
}

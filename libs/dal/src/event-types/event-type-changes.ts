import type { Model } from 'mongoose';
import { watchChanges, type ChangeListener, type DocumentChange } from '../shared/watch-changes';
import type { EventTypeEntity } from './event-type.entity';

/** An event type that was registered, changed or archived. */
export interface EventTypeChange {
  eventTypeId: string;
  /** Known for one just created; otherwise the reader knows which app and name it held it for. */
  appId?: string;
  name?: string;
}

export type EventTypeChangeListener = ChangeListener<EventTypeChange>;

function changeOf(change: DocumentChange<EventTypeEntity>): EventTypeChange {
  return change.operation === 'insert'
    ? { eventTypeId: change.id, appId: change.document.appId, name: change.document.name }
    : { eventTypeId: change.id };
}

/** Follows the event_types collection (see watchChanges). */
export function watchEventTypeChanges(
  model: Model<EventTypeEntity>,
  listener: EventTypeChangeListener,
): { close(): Promise<void> } {
  return watchChanges(model, changeOf, listener);
}

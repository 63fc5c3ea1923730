import type { Model } from 'mongoose';
import type { FollowedTail } from '../shared/change-log';
import { recordDocumentChanges, watchChanges, type ChangeListener } from '../shared/watch-changes';
import type { EventTypeEntity } from './event-type.entity';

/** An event type that was registered, changed or archived. */
export interface EventTypeChange {
  eventTypeId: string;
  appId: string;
  name: string;
}

export type EventTypeChangeListener = ChangeListener<EventTypeChange>;

/** Follows the event types' changes in the change log (see watchChanges). */
export function watchEventTypeChanges(
  model: Model<EventTypeEntity>,
  listener: EventTypeChangeListener,
): FollowedTail {
  return watchChanges(
    model,
    ({ documentId, appId, name }) => ({ eventTypeId: documentId, appId: appId!, name: name! }),
    listener,
  );
}

/** Records that this event type changed, after the write. */
export function recordEventTypeChange(
  model: Model<EventTypeEntity>,
  { eventTypeId, appId, name }: EventTypeChange,
): Promise<void> {
  return recordDocumentChanges(model, [{ documentId: eventTypeId, appId, name }]);
}

import type { mongo } from 'mongoose';
import { watchChanges, type ChangeListener } from '../shared/watch-changes';
import type { EndpointEntity } from './endpoint.entity';

/**
 * Fields the outcome writer keeps up to date on every batch (EndpointRepository.recordHealth):
 * counters of the endpoint's health, which no fan-out or attempt reads from an endpoint it holds.
 */
const HEALTH_FIELDS: ReadonlySet<string> = new Set<keyof EndpointEntity>([
  'consecutiveFailures',
  'lastSuccessAt',
  'lastFailureAt',
  'failingSince',
  'healthWrites',
]);

/** An endpoint that was created, changed (beyond its health counters) or deleted. */
export interface EndpointChange {
  endpointId: string;
  /** Known for a created endpoint; otherwise the reader knows which app it held it for. */
  appId?: string;
}

export type EndpointChangeListener = ChangeListener<EndpointChange>;

/** Follows the endpoints collection (see watchChanges); health counters' updates are not reported. */
export function watchEndpointChanges(
  collection: mongo.Collection<EndpointEntity>,
  listener: EndpointChangeListener,
): { close(): Promise<void> } {
  return watchChanges(collection, changeOf, listener);
}

function changeOf(event: mongo.ChangeStreamDocument<EndpointEntity>): EndpointChange | undefined {
  switch (event.operationType) {
    case 'insert':
      return { endpointId: event.documentKey._id, appId: event.fullDocument.appId };
    case 'update': {
      const { updatedFields = {}, removedFields = [] } = event.updateDescription;
      const fields = [...Object.keys(updatedFields), ...removedFields];
      const onlyHealth = fields.every((field) => HEALTH_FIELDS.has(field.split('.')[0]!));
      return onlyHealth ? undefined : { endpointId: event.documentKey._id };
    }
    case 'replace':
    case 'delete':
      return { endpointId: event.documentKey._id };
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

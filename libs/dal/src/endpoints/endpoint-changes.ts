import type { mongo } from 'mongoose';
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

export interface EndpointChangeListener {
  /** The stream is open: every change from now on is reported. */
  ready(): void;
  changed(change: EndpointChange): void;
  /** The stream ended (after the driver's own resume failed): changes may be missed from now on. */
  failed(error: unknown): void;
}

/**
 * Follows the endpoints collection with a change stream (a replica set's; a standalone MongoDB
 * has none and fails at once). The driver resumes it by itself after an election.
 */
export function watchEndpointChanges(
  collection: mongo.Collection<EndpointEntity>,
  listener: EndpointChangeListener,
): { close(): Promise<void> } {
  const stream = collection.watch<EndpointEntity, mongo.ChangeStreamDocument<EndpointEntity>>([]);
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

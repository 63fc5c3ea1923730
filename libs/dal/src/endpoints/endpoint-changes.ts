import type { Model } from 'mongoose';
import { watchChanges, type ChangeListener, type DocumentChange } from '../shared/watch-changes';
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
  model: Model<EndpointEntity>,
  listener: EndpointChangeListener,
): { close(): Promise<void> } {
  return watchChanges(model, changeOf, listener);
}

function changeOf(change: DocumentChange<EndpointEntity>): EndpointChange | undefined {
  if (change.operation === 'insert') return { endpointId: change.id, appId: change.document.appId };
  const onlyHealth =
    change.operation === 'update' && change.fields.every((field) => HEALTH_FIELDS.has(field));
  return onlyHealth ? undefined : { endpointId: change.id };
}

import type { Model } from 'mongoose';
import type { FollowedTail } from '../shared/change-log';
import { recordDocumentChanges, watchChanges, type ChangeListener } from '../shared/watch-changes';
import type { EndpointEntity } from './endpoint.entity';

/**
 * An endpoint that was created, changed or deleted. Its health counters are not changes: no
 * fan-out or attempt reads them from an endpoint it holds, and the outcome writer keeps them up
 * to date on every batch (EndpointHealthRepository.record).
 */
export interface EndpointChange {
  endpointId: string;
  /** Known to the API's writes; otherwise the reader knows which app it held it for. */
  appId?: string;
}

export type EndpointChangeListener = ChangeListener<EndpointChange>;

/** Follows the endpoints' changes in the change log (see watchChanges). */
export function watchEndpointChanges(
  model: Model<EndpointEntity>,
  listener: EndpointChangeListener,
): FollowedTail {
  return watchChanges(
    model,
    ({ documentId, appId }) => ({
      endpointId: documentId,
      ...(appId === undefined ? {} : { appId }),
    }),
    listener,
  );
}

/** Records that these endpoints changed: every writer of one does, after its write. */
export function recordEndpointChanges(
  model: Model<EndpointEntity>,
  changes: readonly EndpointChange[],
): Promise<void> {
  return recordDocumentChanges(
    model,
    changes.map(({ endpointId, appId }) => ({ documentId: endpointId, appId })),
  );
}

import type { EndpointView } from '@app/contracts';
// The platform's own matching rule (a zod-free file of the contracts, allowed by eslint.config.mjs).
import { matchesEventType } from '../../../../libs/contracts/src/event-type';

export interface Subscription {
  endpoint: EndpointView;
  /** The entries of the endpoint's `eventTypes` that select the event type ("order.*", "*"). */
  filters: string[];
}

/**
 * The endpoints that a message of `eventType` fans out to when it names no `endpointIds`: those
 * whose `eventTypes` select it, by the rule the notifier applies. Disabled ones are kept (they
 * receive nothing until enabled): the caller shows them as such.
 */
export function subscribersOf(
  eventType: string,
  endpoints: readonly EndpointView[],
): Subscription[] {
  const subscriptions: Subscription[] = [];
  for (const endpoint of endpoints) {
    if (!matchesEventType(endpoint.eventTypes, eventType)) continue;
    const filters = endpoint.eventTypes.filter((filter) => matchesEventType([filter], eventType));
    subscriptions.push({ endpoint, filters });
  }
  return subscriptions;
}

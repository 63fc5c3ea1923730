import type { EndpointView } from '@app/contracts';
import type { EndpointEntity } from '@app/dal';

export function presentEndpoint(
  endpoint: EndpointEntity,
  defaultSchedule: readonly number[],
): EndpointView {
  const health: EndpointView['health'] = {
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason ?? null,
    consecutiveFailures: endpoint.consecutiveFailures,
    lastSuccessAt: endpoint.lastSuccessAt?.toISOString() ?? null,
    lastFailureAt: endpoint.lastFailureAt?.toISOString() ?? null,
  };
  return {
    id: endpoint._id,
    channel: endpoint.channel,
    url: endpoint.url ?? null,
    to: endpoint.to ?? null,
    eventTypes: endpoint.eventTypes,
    retrySchedule: endpoint.retrySchedule ?? [...defaultSchedule],
    timeoutMs: endpoint.timeoutMs,
    successBody: endpoint.successBody ?? null,
    rateLimitPerSecond: endpoint.rateLimitPerSecond ?? null,
    headers: endpoint.headers,
    template: endpoint.template ?? null,
    fallbackEndpointId: endpoint.fallbackEndpointId ?? null,
    description: endpoint.description ?? null,
    ordered: endpoint.ordered === true,
    orderedBlockOnFailure: endpoint.orderedBlockOnFailure === true,
    ...health,
    health,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

import type { EndpointEntity } from '@app/dal';

export interface EndpointHealthView {
  enabled: boolean;
  disabledReason: string | null;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
}

export function presentEndpoint(endpoint: EndpointEntity, defaultSchedule: readonly number[]) {
  const health: EndpointHealthView = {
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
    ...health,
    health,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

export type EndpointView = ReturnType<typeof presentEndpoint>;

import { Injectable } from '@nestjs/common';
import { byId, Clock } from '@app/common';
import {
  DeliveryRepository,
  EndpointRepository,
  MessageRepository,
  newDelivery,
  type DeliveryEntity,
  type EndpointEntity,
} from '@app/dal';

/** A first fallback has depth 1; a chain stops after this many hops, cycle or not. */
export const MAX_FALLBACK_DEPTH = 3;

/**
 * The fallback deliveries for deliveries that ended `failed`: one per failed delivery whose
 * endpoint names a fallback of the same app that still exists, due now. A cycle ends by itself,
 * since the unique (messageId, endpointId) index gives an endpoint one delivery per message; the
 * depth limit bounds long chains.
 */
export function planFallbacks(
  failed: readonly DeliveryEntity[],
  endpoints: ReadonlyMap<string, EndpointEntity>,
  now: Date,
): DeliveryEntity[] {
  const planned: DeliveryEntity[] = [];
  for (const delivery of failed) {
    const depth = (delivery.fallbackDepth ?? 0) + 1;
    if (delivery.status !== 'failed' || depth > MAX_FALLBACK_DEPTH) continue;
    const fallbackId = endpoints.get(delivery.endpointId)?.fallbackEndpointId;
    const fallback = fallbackId === undefined ? undefined : endpoints.get(fallbackId);
    if (fallback === undefined || fallback._id === delivery.endpointId) continue;
    if (fallback.appId !== delivery.appId) continue;
    planned.push(
      newDelivery(
        {
          appId: delivery.appId,
          messageId: delivery.messageId,
          endpoint: fallback,
          fallback: { for: delivery._id, depth },
        },
        now,
      ),
    );
  }
  return planned;
}

/**
 * Creates the fallback deliveries once failed outcomes are written; the scheduler picks them up
 * like any due delivery. Then the fallback endpoints join their messages' targetEndpointIds (for
 * `GET /v1/messages?endpointId=`); in that order, so a replayed intake never creates a fallback
 * delivery before its primary failed.
 */
@Injectable()
export class FallbackDeliveries {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly endpoints: EndpointRepository,
    private readonly messages: MessageRepository,
    private readonly clock: Clock,
  ) {}

  async createFor(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    // Re-read: an outcome write is fenced on its claim and may not have applied.
    const failed = (await this.deliveries.findFailed(deliveryIds)).filter(
      (delivery) => (delivery.fallbackDepth ?? 0) < MAX_FALLBACK_DEPTH,
    );
    if (failed.length === 0) return;
    const endpoints = await this.endpointsById(failed.map((delivery) => delivery.endpointId));
    const fallbackIds = [...endpoints.values()].flatMap((e) => e.fallbackEndpointId ?? []);
    for (const [id, endpoint] of await this.endpointsById(fallbackIds)) endpoints.set(id, endpoint);
    const planned = planFallbacks(failed, endpoints, this.clock.now());
    await this.deliveries.insertMany(planned);
    await this.messages.addTargets(planned);
  }

  private async endpointsById(ids: readonly string[]): Promise<Map<string, EndpointEntity>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    return byId(await this.endpoints.findByIds(unique));
  }
}

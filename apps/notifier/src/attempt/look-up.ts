import { byId } from '@app/common';
import type { DeliveryEntity, EndpointEntity, MessageEntity, MessageRepository } from '@app/dal';
import type { EndpointCache } from '../store-messages/endpoint-cache';

/** The endpoints and messages of deliveries a caller already holds (intake just stored them). */
export interface Preloaded {
  endpoints: ReadonlyMap<string, EndpointEntity>;
  messages: ReadonlyMap<string, MessageEntity>;
}

/** The endpoints and messages of claimed deliveries, read by id (the scheduler's claims). */
export async function lookUp(
  endpointCache: EndpointCache,
  messageRepository: MessageRepository,
  deliveries: readonly DeliveryEntity[],
): Promise<Preloaded> {
  const [endpoints, messages] = await Promise.all([
    endpointCache.byIds(deliveries),
    messageRepository
      .findByIds(deliveries.map((d) => ({ appId: d.appId, id: d.messageId })))
      .then(byId),
  ]);
  return { endpoints, messages };
}

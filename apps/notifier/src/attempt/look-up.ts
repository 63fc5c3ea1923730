import type {
  DeliveryEntity,
  EndpointEntity,
  EndpointRepository,
  MessageEntity,
  MessageRepository,
} from '@app/dal';

/** The endpoints and messages of deliveries a caller already holds (intake just stored them). */
export interface Preloaded {
  endpoints: ReadonlyMap<string, EndpointEntity>;
  messages: ReadonlyMap<string, MessageEntity>;
}

/** The endpoints and messages of claimed deliveries, read by id (the scheduler's claims). */
export async function lookUp(
  endpointRepository: EndpointRepository,
  messageRepository: MessageRepository,
  deliveries: readonly DeliveryEntity[],
): Promise<Preloaded> {
  const [endpoints, messages] = await Promise.all([
    endpointRepository.findByIds(unique(deliveries.map((d) => d.endpointId))).then(byId),
    messageRepository
      .findByIds(deliveries.map((d) => ({ appId: d.appId, id: d.messageId })))
      .then(byId),
  ]);
  return { endpoints, messages };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function byId<T extends { _id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [item._id, item]));
}

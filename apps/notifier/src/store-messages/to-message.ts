import { newId } from '@app/common';
import { idempotentMessageId, matchesEventType } from '@app/contracts';
import type { EndpointEntity, MessageEntity } from '@app/dal';
import type { IncomingMessage } from './store-messages.command';

/**
 * The message to store for an incoming one: its id (from the idempotency key, else the id the API
 * assigned, else the one minted at intake) and its fan-out, the app's enabled endpoints it targets
 * (the requested ones, or those whose event types match); `no_endpoints` when there are none.
 */
export function toMessage(
  message: IncomingMessage,
  endpoints: readonly EndpointEntity[],
  now: Date,
): MessageEntity {
  const requested = message.endpointIds === undefined ? undefined : new Set(message.endpointIds);
  const targets = endpoints.filter(
    (endpoint) =>
      endpoint.enabled &&
      (requested === undefined
        ? matchesEventType(endpoint.eventTypes, message.eventType)
        : requested.has(endpoint._id)),
  );
  return {
    _id:
      message.idempotencyKey !== undefined
        ? idempotentMessageId(message.appId, message.idempotencyKey)
        : (message.assignedId ?? message.mintedId ?? newId('msg')),
    appId: message.appId,
    eventType: message.eventType,
    payload: message.payload,
    ...(message.idempotencyKey === undefined ? {} : { idempotencyKey: message.idempotencyKey }),
    ...(message.orderingKey === undefined ? {} : { orderingKey: message.orderingKey }),
    targetEndpointIds: targets.map((endpoint) => endpoint._id),
    status: targets.length > 0 ? 'pending' : 'no_endpoints',
    ...(message.trace === undefined ? {} : { trace: message.trace }),
    createdAt: now,
  };
}

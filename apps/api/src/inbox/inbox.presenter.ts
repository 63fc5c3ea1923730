import type { InboxItem } from '@app/contracts';
import type { DeliveryEntity, MessageEntity } from '@app/dal';

export function presentInboxItem(delivery: DeliveryEntity, message: MessageEntity): InboxItem {
  return {
    messageId: message._id,
    eventType: message.eventType,
    payload: message.payload,
    createdAt: message.createdAt.toISOString(),
    deliveryStatus: delivery.status,
    attemptCount: delivery.attemptCount,
    orderingKey: delivery.ordering?.key ?? null,
    sequence: delivery.ordering?.sequence ?? null,
  };
}

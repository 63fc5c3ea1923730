import type { AttemptView, DeliveryView, MessageSummary } from '@app/contracts';
import type { AttemptEntity, DeliveryEntity, MessageEntity } from '@app/dal';

const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;

export function presentMessageSummary(message: MessageEntity): MessageSummary {
  return {
    id: message._id,
    eventType: message.eventType,
    payload: message.payload,
    idempotencyKey: message.idempotencyKey ?? null,
    orderingKey: message.orderingKey ?? null,
    status: message.status,
    createdAt: message.createdAt.toISOString(),
  };
}

export function presentDelivery(delivery: DeliveryEntity): DeliveryView {
  return {
    id: delivery._id,
    messageId: delivery.messageId,
    endpointId: delivery.endpointId,
    channel: delivery.channel,
    status: delivery.status,
    attemptCount: delivery.attemptCount,
    nextAttemptAt: delivery.status === 'pending' ? iso(delivery.nextAttemptAt) : null,
    lastAttemptAt: iso(delivery.lastAttemptAt),
    lastError: delivery.lastError ?? null,
    deliveredAt: iso(delivery.deliveredAt),
    fallbackFor: delivery.fallbackFor ?? null,
    sequence: delivery.ordering?.sequence ?? null,
  };
}

export function presentAttempt(attempt: AttemptEntity): AttemptView {
  return {
    id: attempt._id,
    deliveryId: attempt.deliveryId,
    endpointId: attempt.endpointId,
    attempt: attempt.attempt,
    startedAt: attempt.startedAt.toISOString(),
    durationMs: attempt.durationMs,
    outcome: attempt.outcome,
    statusCode: attempt.statusCode ?? null,
    error: attempt.error ?? null,
    responseBody: attempt.responseBody ?? null,
  };
}

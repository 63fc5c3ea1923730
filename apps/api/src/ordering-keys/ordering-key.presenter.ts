import type { OrderingKeyView } from '@app/contracts';
import type { OrderingKeyEntity } from '@app/dal';

export function presentOrderingKey(key: OrderingKeyEntity): OrderingKeyView {
  return {
    key: key.key,
    endpointId: key.endpointId,
    lastSequence: key.lastSequence,
    blocked:
      key.blocked === null
        ? null
        : {
            deliveryId: key.blocked.deliveryId,
            messageId: key.blocked.messageId,
            sequence: key.blocked.sequence,
            reason: key.blocked.reason,
            since: key.blocked.since.toISOString(),
          },
    updatedAt: key.updatedAt.toISOString(),
  };
}

import { Injectable } from '@nestjs/common';
import { Clock, deliveryOutcomes } from '@app/common';
import type { InboxItem } from '@app/contracts';
import { InboxRepository, MessageRepository, OrderingKeyRepository } from '@app/dal';
import { notInInbox } from '../get-inbox-item/get-inbox-item.usecase';
import { presentInboxItem } from '../inbox.presenter';
import type { AckInboxItemCommand } from './ack-inbox-item.command';

/**
 * The recipient has the message: its delivery is `succeeded`, nothing more is attempted, and the
 * message's status follows; an ordered delivery hands its key on. Acknowledging again changes
 * nothing.
 */
@Injectable()
export class AckInboxItemUseCase {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly messages: MessageRepository,
    private readonly clock: Clock,
    private readonly orderingKeys: OrderingKeyRepository,
  ) {}

  async execute({ owner, messageId }: AckInboxItemCommand): Promise<InboxItem> {
    const before = await this.inbox.findByMessage(owner, messageId);
    if (before === null) throw notInInbox(messageId);
    const delivery = await this.inbox.acknowledge(owner, messageId, this.clock.now());
    if (delivery === null) throw notInInbox(messageId);
    if (before.status !== 'succeeded') deliveryOutcomes.inc({ outcome: 'acknowledged' });
    // Acknowledged while it was its key's turn at an ordered endpoint: the key goes on.
    if (delivery.ordering !== undefined && before.status !== 'succeeded') {
      await this.orderingKeys.ended(
        [
          {
            deliveryId: delivery._id,
            messageId,
            endpointId: delivery.endpointId,
            ...delivery.ordering,
          },
        ],
        this.clock.now(),
      );
    }
    await this.messages.refreshStatus(owner.appId, [messageId]);
    const message = await this.messages.findById(owner.appId, messageId);
    if (message === null) throw notInInbox(messageId);
    return presentInboxItem(delivery, message);
  }
}

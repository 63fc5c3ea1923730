import { Injectable } from '@nestjs/common';
import { AppError, Clock } from '@app/common';
import type { RedeliveredMessage } from '@app/contracts';
import { DeliveryRedeliveryRepository, MessageRepository } from '@app/dal';
import type { RedeliverMessageCommand } from './redeliver-message.command';

/** Every delivery of the message, whatever its status, is attempted again now on a fresh schedule. */
@Injectable()
export class RedeliverMessageUseCase {
  constructor(
    private readonly messages: MessageRepository,
    private readonly redeliveries: DeliveryRedeliveryRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ appId, messageId }: RedeliverMessageCommand): Promise<RedeliveredMessage> {
    if ((await this.messages.findById(appId, messageId)) === null) {
      throw AppError.notFound('Message', messageId);
    }
    const count = await this.redeliveries.reschedule(appId, { messageId }, this.clock.now());
    if (count > 0) await this.messages.refreshStatus(appId, [messageId]);
    return { deliveries: count };
  }
}

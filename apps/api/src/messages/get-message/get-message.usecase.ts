import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { DeliveryRepository, MessageRepository } from '@app/dal';
import { presentDelivery, presentMessageSummary } from '../message.presenter';

export interface GetMessageQuery {
  appId: string;
  messageId: string;
}

@Injectable()
export class GetMessageUseCase {
  constructor(
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /** 404 until the notifier has stored the message (normally milliseconds after the 202). */
  async execute({ appId, messageId }: GetMessageQuery) {
    const [message, deliveries] = await Promise.all([
      this.messages.findById(appId, messageId),
      this.deliveries.findByMessage(appId, messageId),
    ]);
    if (message === null) throw AppError.notFound('Message', messageId);
    return { ...presentMessageSummary(message), deliveries: deliveries.map(presentDelivery) };
  }
}

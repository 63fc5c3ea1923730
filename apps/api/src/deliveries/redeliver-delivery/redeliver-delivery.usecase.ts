import { Injectable } from '@nestjs/common';
import { AppError, Clock } from '@app/common';
import { DeliveryRedeliveryRepository, DeliveryRepository, MessageRepository } from '@app/dal';
import { presentDelivery } from '../../messages/message.presenter';
import type { RedeliverDeliveryCommand } from './redeliver-delivery.command';

/** One delivery, whatever its status, attempted again now on a fresh schedule. */
@Injectable()
export class RedeliverDeliveryUseCase {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly redeliveries: DeliveryRedeliveryRepository,
    private readonly messages: MessageRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ appId, deliveryId }: RedeliverDeliveryCommand) {
    const delivery = await this.deliveries.findById(appId, deliveryId);
    if (delivery === null) throw AppError.notFound('Delivery', deliveryId);
    await this.redeliveries.reschedule(appId, { deliveryId }, this.clock.now());
    await this.messages.refreshStatus(appId, [delivery.messageId]);
    const rescheduled = await this.deliveries.findById(appId, deliveryId);
    return presentDelivery(rescheduled ?? delivery);
  }
}

import { Injectable } from '@nestjs/common';
import { AppError, Clock } from '@app/common';
import {
  DeliveryRepository,
  EndpointRepository,
  MessageRepository,
  OrderingKeyRepository,
} from '@app/dal';
import type { DeleteEndpointCommand } from './delete-endpoint.command';

/**
 * Deletes an endpoint; its pending and held deliveries are cancelled and their messages' statuses
 * follow; its ordering keys are forgotten.
 */
@Injectable()
export class DeleteEndpointUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly messages: MessageRepository,
    private readonly clock: Clock,
    private readonly orderingKeys: OrderingKeyRepository,
  ) {}

  async execute({ appId, endpointId }: DeleteEndpointCommand): Promise<void> {
    if (!(await this.endpoints.delete(appId, endpointId))) {
      throw AppError.notFound('Endpoint', endpointId);
    }
    const now = this.clock.now();
    const messageIds = await this.deliveries.cancelPendingForEndpoint(appId, endpointId, now);
    await this.orderingKeys.forgetEndpoint(appId, endpointId, now);
    await this.messages.refreshStatus(appId, messageIds);
  }
}

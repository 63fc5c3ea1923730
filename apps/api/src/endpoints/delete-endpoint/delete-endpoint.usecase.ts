import { Injectable } from '@nestjs/common';
import { AppError, Clock } from '@app/common';
import { DeliveryRepository, EndpointRepository, MessageRepository } from '@app/dal';
import type { DeleteEndpointCommand } from './delete-endpoint.command';

/** Deletes an endpoint; its pending deliveries are cancelled and their messages' statuses follow. */
@Injectable()
export class DeleteEndpointUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly messages: MessageRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ appId, endpointId }: DeleteEndpointCommand): Promise<void> {
    if (!(await this.endpoints.delete(appId, endpointId))) {
      throw AppError.notFound('Endpoint', endpointId);
    }
    const messageIds = await this.deliveries.cancelPendingForEndpoint(
      appId,
      endpointId,
      this.clock.now(),
    );
    await this.messages.refreshStatus(appId, messageIds);
  }
}

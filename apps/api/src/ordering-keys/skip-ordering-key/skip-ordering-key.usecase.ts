import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode } from '@app/common';
import type { OrderingKeyView } from '@app/contracts';
import { EndpointRepository, OrderingKeyRepository } from '@app/dal';
import { presentOrderingKey } from '../ordering-key.presenter';

export interface SkipOrderingKeyCommand {
  appId: string;
  endpointId: string;
  key: string;
}

/**
 * An operator gives up on the failed delivery that blocks a key (orderedBlockOnFailure): the key
 * goes on with its next message. The failed delivery stays failed (redeliver it to send it again,
 * out of order). 404 for an endpoint or key that does not exist, 409 for a key not blocked.
 */
@Injectable()
export class SkipOrderingKeyUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly keys: OrderingKeyRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ appId, endpointId, key }: SkipOrderingKeyCommand): Promise<OrderingKeyView> {
    if ((await this.endpoints.findById(appId, endpointId)) === null) {
      throw AppError.notFound('Endpoint', endpointId);
    }
    const result = await this.keys.skip({ appId, endpointId, key }, this.clock.now());
    if (result.skipped) return presentOrderingKey(result.key);
    if (result.reason === 'not_found') {
      throw AppError.notFound(`Ordering key of endpoint ${endpointId}`, JSON.stringify(key));
    }
    throw new AppError(
      ErrorCode.Conflict,
      `Ordering key ${JSON.stringify(key)} of endpoint ${endpointId} is not blocked: nothing to skip`,
    );
  }
}

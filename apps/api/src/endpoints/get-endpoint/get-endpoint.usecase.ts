import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import type { EndpointView } from '@app/contracts';
import { EndpointRepository } from '@app/dal';
import { presentEndpoint } from '../endpoint.presenter';
import type { GetEndpointCommand } from './get-endpoint.command';

/** An endpoint with its health (enabled, disabledReason, failure streak, last success/failure). */
@Injectable()
export class GetEndpointUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute({ appId, endpointId }: GetEndpointCommand): Promise<EndpointView> {
    const endpoint = await this.endpoints.findById(appId, endpointId);
    if (endpoint === null) throw AppError.notFound('Endpoint', endpointId);
    return presentEndpoint(endpoint, this.config.retrySchedule);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import type { EndpointView, Page } from '@app/contracts';
import { EndpointRepository } from '@app/dal';
import { presentEndpoint } from '../endpoint.presenter';
import type { ListEndpointsCommand } from './list-endpoints.command';

@Injectable()
export class ListEndpointsUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute({ appId, page }: ListEndpointsCommand): Promise<Page<EndpointView>> {
    const { items, nextCursor } = await this.endpoints.list(appId, page);
    return {
      data: items.map((endpoint) => presentEndpoint(endpoint, this.config.retrySchedule)),
      nextCursor,
    };
  }
}

import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import type { ListOrderingKeysQuery, OrderingKeyView, Page } from '@app/contracts';
import { EndpointRepository, OrderingKeyRepository } from '@app/dal';
import { presentOrderingKey } from '../ordering-key.presenter';

export interface ListOrderingKeysCommand {
  appId: string;
  endpointId: string;
  query: ListOrderingKeysQuery;
}

/** An endpoint's ordering keys with their state, in the order they were first used. */
@Injectable()
export class ListOrderingKeysUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly keys: OrderingKeyRepository,
  ) {}

  async execute({
    appId,
    endpointId,
    query,
  }: ListOrderingKeysCommand): Promise<Page<OrderingKeyView>> {
    if ((await this.endpoints.findById(appId, endpointId)) === null) {
      throw AppError.notFound('Endpoint', endpointId);
    }
    const { items, nextCursor } = await this.keys.list(
      appId,
      endpointId,
      { ...(query.blocked === undefined ? {} : { blocked: query.blocked }) },
      { limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) },
    );
    return { data: items.map(presentOrderingKey), nextCursor };
  }
}

import { Injectable } from '@nestjs/common';
import type { EventTypeView, Page } from '@app/contracts';
import { EventTypeRepository, type PageRequest } from '@app/dal';
import { presentEventType } from '../event-type.presenter';

/** The app's registered event types (archived ones left out), newest first. */
@Injectable()
export class ListEventTypesUseCase {
  constructor(private readonly eventTypes: EventTypeRepository) {}

  async execute({
    appId,
    page,
  }: {
    appId: string;
    page: PageRequest;
  }): Promise<Page<EventTypeView>> {
    const { items, nextCursor } = await this.eventTypes.list(appId, page);
    return { data: items.map(presentEventType), nextCursor };
  }
}

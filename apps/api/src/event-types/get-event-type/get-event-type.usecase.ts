import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import type { EventTypeView } from '@app/contracts';
import { EventTypeRepository } from '@app/dal';
import type { EventTypeRefCommand } from '../event-type-ref.command';
import { presentEventType } from '../event-type.presenter';

/** An event type, archived or not (archivedAt says). */
@Injectable()
export class GetEventTypeUseCase {
  constructor(private readonly eventTypes: EventTypeRepository) {}

  async execute({ appId, name }: EventTypeRefCommand): Promise<EventTypeView> {
    const eventType = await this.eventTypes.findOne(appId, name);
    if (eventType === null) throw AppError.notFound('Event type', name);
    return presentEventType(eventType);
  }
}

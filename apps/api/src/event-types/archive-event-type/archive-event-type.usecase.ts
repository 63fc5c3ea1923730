import { Injectable } from '@nestjs/common';
import { AppError, Clock } from '@app/common';
import { EventTypeRepository } from '@app/dal';
import type { EventTypeRefCommand } from '../event-type-ref.command';

/**
 * DELETE archives: the event type is kept (GET shows it with archivedAt) but no longer
 * registered: its schema is no longer checked, and an app with requireRegisteredEventTypes
 * refuses its messages. A PUT registers it again.
 */
@Injectable()
export class ArchiveEventTypeUseCase {
  constructor(
    private readonly eventTypes: EventTypeRepository,
    private readonly clock: Clock,
  ) {}

  async execute({ appId, name }: EventTypeRefCommand): Promise<void> {
    if (!(await this.eventTypes.archive(appId, name, this.clock.now())))
      throw AppError.notFound('Event type', name);
  }
}

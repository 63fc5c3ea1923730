import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { EventTypeRepository } from '@app/dal';
import { EventTypeCatalog } from '@app/event-catalog';
import { throwIfRefused } from '../schema-refusals';
import type { ValidatePayloadCommand } from './validate-payload.command';

/**
 * Checks a payload as POST /v1/messages would (same catalog, same version, same 400), without
 * publishing it. 404 for an event type the app has not registered or has archived.
 */
@Injectable()
export class ValidatePayloadUseCase {
  constructor(
    private readonly eventTypes: EventTypeRepository,
    private readonly catalog: EventTypeCatalog,
  ) {}

  async execute({ appId, name, payload }: ValidatePayloadCommand): Promise<{ valid: true }> {
    const eventType = await this.eventTypes.findOne(appId, name);
    if (eventType === null || eventType.archivedAt !== undefined)
      throw AppError.notFound('Event type', name);
    const [verdict] = await this.catalog.check([{ appId, eventType: name, payload }]);
    throwIfRefused(name, verdict!);
    return { valid: true };
  }
}

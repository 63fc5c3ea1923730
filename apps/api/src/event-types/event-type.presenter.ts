import type { EventTypeView } from '@app/contracts';
import type { EventTypeEntity } from '@app/dal';

export function presentEventType(eventType: EventTypeEntity): EventTypeView {
  return {
    name: eventType.name,
    description: eventType.description ?? null,
    schema:
      eventType.schemaJson === undefined
        ? null
        : (JSON.parse(eventType.schemaJson) as EventTypeView['schema']),
    examples:
      eventType.examplesJson === undefined
        ? []
        : (JSON.parse(eventType.examplesJson) as EventTypeView['examples']),
    deprecated: eventType.deprecated,
    version: eventType.version,
    archivedAt: eventType.archivedAt?.toISOString() ?? null,
    createdAt: eventType.createdAt.toISOString(),
    updatedAt: eventType.updatedAt.toISOString(),
  };
}

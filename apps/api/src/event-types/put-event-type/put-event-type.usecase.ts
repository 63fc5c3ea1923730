import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode } from '@app/common';
import type { EventTypeView } from '@app/contracts';
import { EventTypeRepository, RateLimitRepository } from '@app/dal';
import { compileEventSchema, MAX_COMPILE_MS } from '@app/event-catalog';
import { presentEventType } from '../event-type.presenter';
import { exampleMismatch, schemaRefused } from '../schema-refusals';
import type { PutEventTypeCommand } from './put-event-type.command';

/** Event types an app may have registered at once (archived ones do not count). */
export const MAX_EVENT_TYPES_PER_APP = 1_000;
/**
 * PUTs an app may make per minute: compiling a large schema takes this process's CPU for a
 * moment (hundreds of ms at 64 KiB), which one app must not spend in a loop.
 */
export const EVENT_TYPE_PUTS_PER_MINUTE = 60;

/**
 * Registers an event type or replaces its definition. A schema is compiled here first, exactly as
 * every process will compile it, so one that is not valid JSON Schema, reaches outside itself or
 * takes too long to compile is refused with pointers into it, and each example is checked
 * against it. Messages are checked against the new version as soon as each process sees the
 * change (milliseconds: EventTypeCatalog).
 */
@Injectable()
export class PutEventTypeUseCase {
  constructor(
    private readonly eventTypes: EventTypeRepository,
    private readonly clock: Clock,
    private readonly rateLimits: RateLimitRepository,
  ) {}

  async execute({ appId, name, definition }: PutEventTypeCommand): Promise<{
    eventType: EventTypeView;
    created: boolean;
  }> {
    await this.takePut(appId);
    if (definition.schema !== undefined) this.checkSchema(definition.schema, definition.examples);
    await this.checkQuota(appId, name);
    const { eventType, created } = await this.eventTypes.put(
      appId,
      name,
      {
        description: definition.description,
        schemaJson: definition.schema === undefined ? undefined : JSON.stringify(definition.schema),
        examplesJson:
          definition.examples === undefined ? undefined : JSON.stringify(definition.examples),
        deprecated: definition.deprecated,
      },
      this.clock.now(),
    );
    return { eventType: presentEventType(eventType), created };
  }

  private checkSchema(schema: unknown, examples: readonly unknown[] = []): void {
    const compiled = compileEventSchema(schema);
    if (!compiled.ok) throw schemaRefused(compiled.failures);
    try {
      if (compiled.compileMs > MAX_COMPILE_MS) {
        throw schemaRefused({
          failures: [
            {
              pointer: '',
              keyword: 'compile',
              message: `took ${Math.round(compiled.compileMs)} ms to compile, more than the ${MAX_COMPILE_MS} ms allowed: make it smaller`,
            },
          ],
          total: 1,
        });
      }
      for (const [index, example] of examples.entries()) {
        const failures = compiled.schema.validate(example);
        if (failures !== undefined) throw exampleMismatch(index, failures);
      }
    } finally {
      compiled.schema.dispose();
    }
  }

  private async takePut(appId: string): Promise<void> {
    const now = this.clock.now();
    const key = `event-type-puts:${appId}`;
    if ((await this.rateLimits.take(key, EVENT_TYPE_PUTS_PER_MINUTE, 1, now, 60_000)) === 1) return;
    throw AppError.rateLimited(
      `This app may PUT event types ${EVENT_TYPE_PUTS_PER_MINUTE} times per minute: retry after the Retry-After header's seconds`,
      60_000 - (now.getTime() % 60_000),
    );
  }

  private async checkQuota(appId: string, name: string): Promise<void> {
    if ((await this.eventTypes.countRegistered(appId)) < MAX_EVENT_TYPES_PER_APP) return;
    const existing = await this.eventTypes.findOne(appId, name);
    if (existing !== null && existing.archivedAt === undefined) return;
    throw new AppError(
      ErrorCode.QuotaExceeded,
      `This app has ${MAX_EVENT_TYPES_PER_APP} event types registered, the most allowed: archive one (DELETE /v1/event-types/:name) first`,
    );
  }
}

import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import {
  eventTypeNameSchema,
  eventTypeViewSchema,
  listQuerySchema,
  pageOf,
  putEventTypeSchema,
  validatePayloadSchema,
  validPayloadSchema,
  type EventTypeView,
  type PutEventType,
  type ValidatePayload,
} from '@app/contracts';
import type { PageRequest } from '@app/dal';
import { Auth, CurrentAppId } from '../auth/auth.guard';
import { ApiErrors, ApiJsonBody, ApiJsonQuery, ApiJsonResponse } from '../shared/openapi';
import { eventTypeExample, pageExample, putEventTypeExample } from '../shared/openapi-examples';
import { ZodPipe, ZodQueryPipe } from '../shared/zod.pipe';
import { ArchiveEventTypeUseCase } from './archive-event-type/archive-event-type.usecase';
import { GetEventTypeUseCase } from './get-event-type/get-event-type.usecase';
import { ListEventTypesUseCase } from './list-event-types/list-event-types.usecase';
import { PutEventTypeUseCase } from './put-event-type/put-event-type.usecase';
import { ValidatePayloadUseCase } from './validate-payload/validate-payload.usecase';
import { ApiParam } from '@nestjs/swagger';

const nameParam = z.object({ name: eventTypeNameSchema });
const NamePipe = new ZodPipe(nameParam, 'path');

function ApiEventTypeName() {
  return ApiParam({
    name: 'name',
    description: 'Event type, e.g. order.paid',
    schema: { type: 'string' },
  });
}

@ApiTags('event-types')
@Controller('v1/event-types')
@Auth('app')
@ApiErrors(401, 403)
export class EventTypesController {
  constructor(
    private readonly putEventType: PutEventTypeUseCase,
    private readonly listEventTypes: ListEventTypesUseCase,
    private readonly getEventType: GetEventTypeUseCase,
    private readonly archiveEventType: ArchiveEventTypeUseCase,
    private readonly validatePayload: ValidatePayloadUseCase,
  ) {}

  @Put(':name')
  @ApiOperation({
    summary: 'Register an event type, or replace its definition',
    description:
      'The body replaces the whole definition (what is left out is removed); `version` goes up by one. A `schema` (JSON Schema 2020-12) is enforced on every message of this event type from the moment each process sees the change (milliseconds): POST /v1/messages answers 400 payload_schema_mismatch, AMQP intake dead-letters. A schema that is not valid JSON Schema, has a `$ref` outside itself, `$id`, a pattern RE2 cannot run, `uniqueItems` without `maxItems` <= 1000, or is over 64 KiB or 32 levels deep is refused: 400 whose details point into the schema. Each example must match the schema (400 naming examples.<index>). 201 when registered, 200 when replaced.',
  })
  @ApiEventTypeName()
  @ApiJsonBody(putEventTypeSchema, putEventTypeExample)
  @ApiJsonResponse(201, 'Registered', eventTypeViewSchema, eventTypeExample)
  @ApiJsonResponse(200, 'Replaced', eventTypeViewSchema, eventTypeExample)
  @ApiErrors(400, 409, 413, 429)
  async put(
    @CurrentAppId() appId: string,
    @Param(NamePipe) { name }: z.output<typeof nameParam>,
    @Body(new ZodPipe(putEventTypeSchema)) body: PutEventType,
    @Res({ passthrough: true }) response: Response,
  ): Promise<EventTypeView> {
    const { eventType, created } = await this.putEventType.execute({
      appId,
      name,
      definition: body,
    });
    response.status(created ? 201 : 200);
    return eventType;
  }

  @Get()
  @ApiOperation({
    summary: "The app's registered event types, newest first (archived ones left out)",
  })
  @ApiJsonQuery(listQuerySchema)
  @ApiJsonResponse(
    200,
    'A page of event types',
    pageOf(eventTypeViewSchema),
    pageExample(eventTypeExample),
  )
  @ApiErrors(400)
  list(@CurrentAppId() appId: string, @Query(new ZodQueryPipe(listQuerySchema)) page: PageRequest) {
    return this.listEventTypes.execute({ appId, page });
  }

  @Get(':name')
  @ApiOperation({ summary: 'An event type, archived or not (archivedAt says)' })
  @ApiEventTypeName()
  @ApiJsonResponse(200, 'The event type', eventTypeViewSchema, eventTypeExample)
  @ApiErrors(400, 404)
  get(
    @CurrentAppId() appId: string,
    @Param(NamePipe) { name }: z.output<typeof nameParam>,
  ): Promise<EventTypeView> {
    return this.getEventType.execute({ appId, name });
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Archive an event type',
    description:
      'Kept (GET shows archivedAt) but no longer registered: its schema is no longer enforced, and an app with requireRegisteredEventTypes refuses its messages. PUT registers it again.',
  })
  @ApiEventTypeName()
  @ApiJsonResponse(204, 'Archived')
  @ApiErrors(400, 404)
  async remove(
    @CurrentAppId() appId: string,
    @Param(NamePipe) { name }: z.output<typeof nameParam>,
  ): Promise<void> {
    await this.archiveEventType.execute({ appId, name });
  }

  @Post(':name/validate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a payload against the event type, without publishing it',
    description:
      'The same check as POST /v1/messages: 200 `{ "valid": true }`, or 400 payload_schema_mismatch whose details give each failure\'s JSON pointer into the payload and keyword. 404 for an event type not registered or archived.',
  })
  @ApiEventTypeName()
  @ApiJsonBody(validatePayloadSchema, { payload: { amount: 42, currency: 'EUR' } })
  @ApiJsonResponse(200, 'The payload matches', validPayloadSchema, { valid: true })
  @ApiErrors(400, 404, 413)
  validate(
    @CurrentAppId() appId: string,
    @Param(NamePipe) { name }: z.output<typeof nameParam>,
    @Body(new ZodPipe(validatePayloadSchema)) body: ValidatePayload,
  ) {
    return this.validatePayload.execute({ appId, name, payload: body.payload });
  }
}

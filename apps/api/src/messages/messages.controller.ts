import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  acceptedSchema,
  attemptViewSchema,
  listMessagesQuerySchema,
  listQuerySchema,
  messageDetailSchema,
  messageSummarySchema,
  pageOf,
  publishMessageSchema,
  redeliveredMessageSchema,
  type ListMessagesQuery,
  type PublishMessage,
} from '@app/contracts';
import type { PageRequest } from '@app/dal';
import { Auth, CurrentAppId } from '../auth/auth.guard';
import { TakesNoBody } from '../shared/no-body.interceptor';
import { ApiErrors, ApiId, ApiJsonBody, ApiJsonQuery, ApiJsonResponse } from '../shared/openapi';
import {
  attemptExample,
  messageDetailExample,
  messageSummaryExample,
  pageExample,
  publishExample,
} from '../shared/openapi-examples';
import { ZodPipe, ZodQueryPipe } from '../shared/zod.pipe';
import { GetMessageUseCase } from './get-message/get-message.usecase';
import { ListAttemptsUseCase } from './list-attempts/list-attempts.usecase';
import { ListMessagesUseCase } from './list-messages/list-messages.usecase';
import { PublishMessageUseCase } from './publish-message/publish-message.usecase';
import { RedeliverMessageUseCase } from './redeliver-message/redeliver-message.usecase';

@ApiTags('messages')
@Controller('v1/messages')
@Auth('app')
@ApiErrors(401, 403)
export class MessagesController {
  constructor(
    private readonly publishMessage: PublishMessageUseCase,
    private readonly listMessages: ListMessagesUseCase,
    private readonly getMessage: GetMessageUseCase,
    private readonly listAttempts: ListAttemptsUseCase,
    private readonly redeliverMessage: RedeliverMessageUseCase,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Publish a message; 202 once the broker confirmed it' })
  @ApiJsonBody(publishMessageSchema, publishExample)
  @ApiJsonResponse(202, 'Accepted', acceptedSchema, {
    id: messageSummaryExample.id,
    status: 'accepted',
  })
  @ApiErrors(400, 413, 429, 503)
  publish(
    @CurrentAppId() appId: string,
    @Body(new ZodPipe(publishMessageSchema)) body: PublishMessage,
  ) {
    return this.publishMessage.execute({ appId, message: body });
  }

  @Get()
  @ApiOperation({
    summary: "The app's messages, newest first",
    description:
      'Filters combine; since/until bound createdAt to [since, until). The cursor never skips or repeats a message, even while new ones arrive (they are newer than any page already read).',
  })
  @ApiJsonQuery(listMessagesQuerySchema)
  @ApiJsonResponse(
    200,
    'A page of messages',
    pageOf(messageSummarySchema),
    pageExample(messageSummaryExample),
  )
  @ApiErrors(400)
  list(
    @CurrentAppId() appId: string,
    @Query(new ZodQueryPipe(listMessagesQuerySchema)) query: ListMessagesQuery,
  ) {
    return this.listMessages.execute({ appId, query });
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A message with its deliveries',
    description: 'Answers 404 until the notifier has stored the message (normally milliseconds).',
  })
  @ApiId('id', 'Message id')
  @ApiJsonResponse(200, 'The message', messageDetailSchema, messageDetailExample)
  @ApiErrors(404)
  get(@CurrentAppId() appId: string, @Param('id') id: string) {
    return this.getMessage.execute({ appId, messageId: id });
  }

  @Get(':id/attempts')
  @ApiOperation({
    summary: "A message's attempts, oldest first",
    description:
      'In the order the attempts were recorded (an attempt is recorded when it ends): each gets its place the first time the list can show it, the ones recorded together by start time. Keep the last nextCursor and ask again later: you get every attempt recorded since, however long it ran, never one twice.',
  })
  @ApiId('id', 'Message id')
  @ApiJsonQuery(listQuerySchema)
  @ApiJsonResponse(
    200,
    'A page of attempts',
    pageOf(attemptViewSchema),
    pageExample(attemptExample),
  )
  @ApiErrors(400, 404)
  attempts(
    @CurrentAppId() appId: string,
    @Param('id') id: string,
    @Query(new ZodQueryPipe(listQuerySchema)) page: PageRequest,
  ) {
    return this.listAttempts.execute({ appId, messageId: id, page });
  }

  @Post(':id/redeliver')
  @TakesNoBody()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Attempt every delivery of the message again now, whatever its status',
    description: 'Each starts a fresh schedule; attempts keep numbering on in the attempt log.',
  })
  @ApiId('id', 'Message id')
  @ApiJsonResponse(202, 'Scheduled', redeliveredMessageSchema, { deliveries: 2 })
  @ApiErrors(404)
  redeliver(@CurrentAppId() appId: string, @Param('id') id: string) {
    return this.redeliverMessage.execute({ appId, messageId: id });
  }
}

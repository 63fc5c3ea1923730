import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { listQuerySchema, publishMessageSchema, type PublishMessage } from '@app/contracts';
import type { PageRequest } from '@app/dal';
import { Auth, CurrentAppId } from '../auth/auth.guard';
import { ZodPipe } from '../shared/zod.pipe';
import { GetMessageUseCase } from './get-message/get-message.usecase';
import { ListAttemptsUseCase } from './list-attempts/list-attempts.usecase';
import { PublishMessageUseCase } from './publish-message/publish-message.usecase';

@ApiTags('messages')
@Controller('v1/messages')
@Auth('app')
export class MessagesController {
  constructor(
    private readonly publishMessage: PublishMessageUseCase,
    private readonly getMessage: GetMessageUseCase,
    private readonly listAttempts: ListAttemptsUseCase,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Publish a message; 202 once the broker confirmed it' })
  publish(
    @CurrentAppId() appId: string,
    @Body(new ZodPipe(publishMessageSchema)) body: PublishMessage,
  ) {
    return this.publishMessage.execute({ appId, message: body });
  }

  @Get(':id')
  @ApiOperation({ summary: 'A message with its deliveries' })
  get(@CurrentAppId() appId: string, @Param('id') id: string) {
    return this.getMessage.execute({ appId, messageId: id });
  }

  @Get(':id/attempts')
  @ApiOperation({ summary: "A message's attempts, oldest first" })
  attempts(
    @CurrentAppId() appId: string,
    @Param('id') id: string,
    @Query(new ZodPipe(listQuerySchema, 'query')) page: PageRequest,
  ) {
    return this.listAttempts.execute({ appId, messageId: id, page });
  }
}

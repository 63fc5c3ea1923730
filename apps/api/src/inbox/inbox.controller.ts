import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  inboxItemSchema,
  inboxPageSchema,
  inboxQuerySchema,
  type InboxItem,
  type InboxPage,
  type InboxQuery,
} from '@app/contracts';
import type { InboxOwner } from '@app/dal';
import { Auth, CurrentRecipient } from '../auth/auth.guard';
import { TakesNoBody } from '../shared/no-body.interceptor';
import { ApiErrors, ApiId, ApiJsonQuery, ApiJsonResponse } from '../shared/openapi';
import { cursorExample, inboxItemExample } from '../shared/openapi-examples';
import { ZodQueryPipe } from '../shared/zod.pipe';
import { AckInboxItemUseCase } from './ack-inbox-item/ack-inbox-item.usecase';
import { GetInboxItemUseCase } from './get-inbox-item/get-inbox-item.usecase';
import { ListInboxUseCase } from './list-inbox/list-inbox.usecase';

@ApiTags('inbox')
@Controller('v1/inbox')
@Auth('recipient')
@ApiErrors(401, 403)
export class InboxController {
  constructor(
    private readonly listInbox: ListInboxUseCase,
    private readonly getInboxItem: GetInboxItemUseCase,
    private readonly ackInboxItem: AckInboxItemUseCase,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Messages addressed to this endpoint, oldest first (recipient token)',
    description:
      'Keep the last non-null nextCursor and pass it as ?after= later: you get exactly what reached the inbox since, never missing one, even across outages of yours or ours. status=all (the default) is the walk that guarantees it; a status filter shows the matching ones at the time of the request. since keeps only what reached the endpoint at or after that time (a recent window: notify listen starts with it).',
  })
  @ApiJsonQuery(inboxQuerySchema)
  @ApiJsonResponse(200, 'A page of the inbox', inboxPageSchema, {
    data: [inboxItemExample],
    nextCursor: cursorExample,
  })
  @ApiErrors(400)
  list(
    @CurrentRecipient() owner: InboxOwner,
    @Query(new ZodQueryPipe(inboxQuerySchema)) query: InboxQuery,
  ): Promise<InboxPage> {
    return this.listInbox.execute({ owner, query });
  }

  @Get(':messageId')
  @ApiOperation({ summary: 'One message of this inbox; 404 if it was not addressed here' })
  @ApiId('messageId', 'Message id')
  @ApiJsonResponse(200, 'The message and its delivery status', inboxItemSchema, inboxItemExample)
  @ApiErrors(404)
  get(
    @CurrentRecipient() owner: InboxOwner,
    @Param('messageId') messageId: string,
  ): Promise<InboxItem> {
    return this.getInboxItem.execute({ owner, messageId });
  }

  @Post(':messageId/ack')
  @TakesNoBody()
  @HttpCode(200)
  @ApiOperation({
    summary: 'The recipient has the message: its delivery becomes succeeded, retries stop',
  })
  @ApiId('messageId', 'Message id')
  @ApiJsonResponse(200, 'Acknowledged', inboxItemSchema, {
    ...inboxItemExample,
    deliveryStatus: 'succeeded',
  })
  @ApiErrors(404)
  ack(
    @CurrentRecipient() owner: InboxOwner,
    @Param('messageId') messageId: string,
  ): Promise<InboxItem> {
    return this.ackInboxItem.execute({ owner, messageId });
  }
}

import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  listOrderingKeysQuerySchema,
  orderingKeyViewSchema,
  pageOf,
  type ListOrderingKeysQuery,
  type OrderingKeyView,
  type Page,
} from '@app/contracts';
import { Auth, CurrentAppId } from '../auth/auth.guard';
import { TakesNoBody } from '../shared/no-body.interceptor';
import { ApiErrors, ApiId, ApiJsonQuery, ApiJsonResponse } from '../shared/openapi';
import { orderingKeyExample, pageExample } from '../shared/openapi-examples';
import { ZodQueryPipe } from '../shared/zod.pipe';
import { ListOrderingKeysUseCase } from './list-ordering-keys/list-ordering-keys.usecase';
import { SkipOrderingKeyUseCase } from './skip-ordering-key/skip-ordering-key.usecase';

@ApiTags('endpoints')
@Controller('v1/endpoints/:id/ordering-keys')
@Auth('app')
@ApiErrors(401, 403)
export class OrderingKeysController {
  constructor(
    private readonly listKeys: ListOrderingKeysUseCase,
    private readonly skipKey: SkipOrderingKeyUseCase,
  ) {}

  @Get()
  @ApiOperation({
    summary: "An ordered endpoint's ordering keys, oldest first",
    description:
      'Each key with the last sequence given and, when a failed delivery holds it (orderedBlockOnFailure), which one and why. `blocked=true` lists only those.',
  })
  @ApiId('id', 'Endpoint id')
  @ApiJsonQuery(listOrderingKeysQuerySchema)
  @ApiJsonResponse(
    200,
    'A page of ordering keys',
    pageOf(orderingKeyViewSchema),
    pageExample(orderingKeyExample),
  )
  @ApiErrors(400, 404)
  list(
    @CurrentAppId() appId: string,
    @Param('id') endpointId: string,
    @Query(new ZodQueryPipe(listOrderingKeysQuerySchema)) query: ListOrderingKeysQuery,
  ): Promise<Page<OrderingKeyView>> {
    return this.listKeys.execute({ appId, endpointId, query });
  }

  @Post(':key/skip')
  @TakesNoBody()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Skip the failed delivery that blocks an ordering key',
    description:
      'The key goes on with its next message; the failed delivery stays failed. 404 when the endpoint or the key does not exist, 409 when the key is not blocked. To send the failed message again instead, redeliver it: when that delivery ends, the key goes on.',
  })
  @ApiId('id', 'Endpoint id')
  @ApiParam({ name: 'key', description: 'The ordering key, URL-encoded' })
  @ApiJsonResponse(200, 'The key, unblocked', orderingKeyViewSchema, {
    ...orderingKeyExample,
    blocked: null,
  })
  @ApiErrors(404, 409)
  skip(
    @CurrentAppId() appId: string,
    @Param('id') endpointId: string,
    @Param('key') key: string,
  ): Promise<OrderingKeyView> {
    return this.skipKey.execute({ appId, endpointId, key });
  }
}

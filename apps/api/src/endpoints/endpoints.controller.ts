import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  createdEndpointSchema,
  createEndpointSchema,
  endpointViewSchema,
  listQuerySchema,
  pageOf,
  recoverEndpointSchema,
  recoverResultSchema,
  rotatedRecipientTokenSchema,
  rotatedSecretSchema,
  updateEndpointSchema,
  type CreateEndpoint,
  type EndpointView,
  type Page,
  type RecoverEndpoint,
  type RecoverResult,
  type UpdateEndpoint,
} from '@app/contracts';
import { CHANGE_LEASE_MS } from '@app/common';
import type { PageRequest } from '@app/dal';
import { Auth, CurrentAppId } from '../auth/auth.guard';
import { TakesNoBody } from '../shared/no-body.interceptor';
import { ApiErrors, ApiId, ApiJsonBody, ApiJsonQuery, ApiJsonResponse } from '../shared/openapi';
import {
  createEndpointExample,
  createdEndpointExample,
  endpointExample,
  pageExample,
  recoverExample,
  updateEndpointExample,
} from '../shared/openapi-examples';
import { ZodPipe, ZodQueryPipe } from '../shared/zod.pipe';
import { AnswerAfterChangeLease } from './answer-after-change-lease.interceptor';
import { CreateEndpointUseCase } from './create-endpoint/create-endpoint.usecase';
import { DeleteEndpointUseCase } from './delete-endpoint/delete-endpoint.usecase';
import { GetEndpointUseCase } from './get-endpoint/get-endpoint.usecase';
import { ListEndpointsUseCase } from './list-endpoints/list-endpoints.usecase';
import { RecoverEndpointUseCase } from './recover-endpoint/recover-endpoint.usecase';
import { RotateRecipientTokenUseCase } from './rotate-recipient-token/rotate-recipient-token.usecase';
import { RotateSecretUseCase } from './rotate-secret/rotate-secret.usecase';
import { UpdateEndpointUseCase } from './update-endpoint/update-endpoint.usecase';

/** What the routes AnswerAfterChangeLease answers tell of it in the OpenAPI document. */
const ANSWERED_AFTER_LEASE = `Answered ${CHANGE_LEASE_MS} ms after the change is made: a message published after the answer is fanned out to the endpoints as changed, whichever notifier takes it.`;

@ApiTags('endpoints')
@Controller('v1/endpoints')
@Auth('app')
@ApiErrors(401, 403)
export class EndpointsController {
  constructor(
    private readonly createEndpoint: CreateEndpointUseCase,
    private readonly listEndpoints: ListEndpointsUseCase,
    private readonly getEndpoint: GetEndpointUseCase,
    private readonly updateEndpoint: UpdateEndpointUseCase,
    private readonly deleteEndpoint: DeleteEndpointUseCase,
    private readonly rotateSecret: RotateSecretUseCase,
    private readonly rotateRecipientToken: RotateRecipientTokenUseCase,
    private readonly recoverEndpoint: RecoverEndpointUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @UseInterceptors(AnswerAfterChangeLease)
  @ApiOperation({
    summary: 'Create an endpoint; its secret and recipient token are shown once',
    description: ANSWERED_AFTER_LEASE,
  })
  @ApiJsonBody(createEndpointSchema, createEndpointExample)
  @ApiJsonResponse(201, 'Created', createdEndpointSchema, createdEndpointExample)
  @ApiErrors(400, 409, 413)
  create(
    @CurrentAppId() appId: string,
    @Body(new ZodPipe(createEndpointSchema)) body: CreateEndpoint,
  ) {
    return this.createEndpoint.execute({ appId, endpoint: body });
  }

  @Get()
  @ApiOperation({ summary: "List the app's endpoints, newest first" })
  @ApiJsonQuery(listQuerySchema)
  @ApiJsonResponse(
    200,
    'A page of endpoints',
    pageOf(endpointViewSchema),
    pageExample(endpointExample),
  )
  @ApiErrors(400)
  list(
    @CurrentAppId() appId: string,
    @Query(new ZodQueryPipe(listQuerySchema)) page: PageRequest,
  ): Promise<Page<EndpointView>> {
    return this.listEndpoints.execute({ appId, page });
  }

  @Get(':id')
  @ApiOperation({ summary: 'An endpoint with its health' })
  @ApiId('id', 'Endpoint id')
  @ApiJsonResponse(200, 'The endpoint', endpointViewSchema, endpointExample)
  @ApiErrors(404)
  get(@CurrentAppId() appId: string, @Param('id') id: string): Promise<EndpointView> {
    return this.getEndpoint.execute({ appId, endpointId: id });
  }

  @Patch(':id')
  @UseInterceptors(AnswerAfterChangeLease)
  @ApiOperation({
    summary: 'Change an endpoint; null clears an optional field',
    description: ANSWERED_AFTER_LEASE,
  })
  @ApiId('id', 'Endpoint id')
  @ApiJsonBody(updateEndpointSchema, updateEndpointExample)
  @ApiJsonResponse(200, 'The endpoint as changed', endpointViewSchema, endpointExample)
  @ApiErrors(400, 404, 413)
  update(
    @CurrentAppId() appId: string,
    @Param('id') id: string,
    @Body(new ZodPipe(updateEndpointSchema)) body: UpdateEndpoint,
  ): Promise<EndpointView> {
    return this.updateEndpoint.execute({ appId, endpointId: id, changes: body });
  }

  @Delete(':id')
  @UseInterceptors(AnswerAfterChangeLease)
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete an endpoint; its pending deliveries are cancelled',
    description: ANSWERED_AFTER_LEASE,
  })
  @ApiId('id', 'Endpoint id')
  @ApiJsonResponse(204, 'Deleted')
  @ApiErrors(404)
  remove(@CurrentAppId() appId: string, @Param('id') id: string): Promise<void> {
    return this.deleteEndpoint.execute({ appId, endpointId: id });
  }

  @Post(':id/rotate-secret')
  @TakesNoBody()
  @HttpCode(200)
  @ApiOperation({
    summary: 'New signing secret',
    description:
      'The previous secret keeps signing beside the new one for 24 hours: webhook-signature then carries two space-separated signatures, never more (an older previous secret is retired by the rotation). Rotations per endpoint are limited by SECRET_ROTATION_LIMIT per SECRET_ROTATION_WINDOW (429 secret_rotation_rate_limited, with Retry-After).',
  })
  @ApiId('id', 'Endpoint id')
  @ApiJsonResponse(200, 'The new secret, shown only here', rotatedSecretSchema, {
    secret: 'whsec_x8Jm0cHk3p5vE1qgYtL2w9aZr4NbD6sF',
  })
  @ApiErrors(404, 409, 429)
  rotateSecretOf(@CurrentAppId() appId: string, @Param('id') id: string) {
    return this.rotateSecret.execute({ appId, endpointId: id });
  }

  @Post(':id/rotate-recipient-token')
  @TakesNoBody()
  @HttpCode(200)
  @ApiOperation({
    summary: 'New inbox credential',
    description: 'The previous recipient token stops working at once.',
  })
  @ApiId('id', 'Endpoint id')
  @ApiJsonResponse(200, 'The new token, shown only here', rotatedRecipientTokenSchema, {
    recipientToken: 'rt_kP3v...',
  })
  @ApiErrors(404)
  rotateRecipientTokenOf(@CurrentAppId() appId: string, @Param('id') id: string) {
    return this.rotateRecipientToken.execute({ appId, endpointId: id });
  }

  @Post(':id/recover')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Schedule again every delivery that ended failed in a window',
    description:
      'Deliveries of this endpoint that ended `failed` in [since, until) are attempted again now with a fresh schedule; their attempts number on. With dryRun only counts. A disabled endpoint fails them again at once: re-enable it first.',
  })
  @ApiId('id', 'Endpoint id')
  @ApiJsonBody(recoverEndpointSchema, recoverExample)
  @ApiJsonResponse(202, 'Scheduled (or counted)', recoverResultSchema, { count: 12 })
  @ApiErrors(400, 404)
  recover(
    @CurrentAppId() appId: string,
    @Param('id') id: string,
    @Body(new ZodPipe(recoverEndpointSchema)) body: RecoverEndpoint,
  ): Promise<RecoverResult> {
    return this.recoverEndpoint.execute({ appId, endpointId: id, ...body });
  }
}

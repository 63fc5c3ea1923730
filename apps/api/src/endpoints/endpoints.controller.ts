import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import {
  createEndpointSchema,
  listQuerySchema,
  updateEndpointSchema,
  type CreateEndpoint,
  type Page,
  type UpdateEndpoint,
} from '@app/contracts';
import {
  DeliveryRepository,
  EndpointRepository,
  MessageRepository,
  type PageRequest,
} from '@app/dal';
import { Auth, CurrentAppId } from '../auth/auth.guard';
import { ZodPipe } from '../shared/zod.pipe';
import { CreateEndpointUseCase } from './create-endpoint/create-endpoint.usecase';
import { presentEndpoint, type EndpointView } from './endpoint.presenter';
import { UpdateEndpointUseCase } from './update-endpoint/update-endpoint.usecase';

@ApiTags('endpoints')
@Controller('v1/endpoints')
@Auth('app')
export class EndpointsController {
  constructor(
    private readonly createEndpoint: CreateEndpointUseCase,
    private readonly updateEndpoint: UpdateEndpointUseCase,
    private readonly endpoints: EndpointRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly messages: MessageRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an endpoint; its secret and recipient token are shown once' })
  create(
    @CurrentAppId() appId: string,
    @Body(new ZodPipe(createEndpointSchema)) body: CreateEndpoint,
  ) {
    return this.createEndpoint.execute({ appId, endpoint: body });
  }

  @Get()
  @ApiOperation({ summary: "List the app's endpoints, newest first" })
  async list(
    @CurrentAppId() appId: string,
    @Query(new ZodPipe(listQuerySchema, 'query')) query: PageRequest,
  ): Promise<Page<EndpointView>> {
    const { items, nextCursor } = await this.endpoints.list(appId, query);
    return { data: items.map((e) => presentEndpoint(e, this.config.retrySchedule)), nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'An endpoint with its health' })
  async get(@CurrentAppId() appId: string, @Param('id') id: string): Promise<EndpointView> {
    const endpoint = await this.endpoints.findById(appId, id);
    if (endpoint === null) throw AppError.notFound('Endpoint', id);
    return presentEndpoint(endpoint, this.config.retrySchedule);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint; null clears an optional field' })
  update(
    @CurrentAppId() appId: string,
    @Param('id') id: string,
    @Body(new ZodPipe(updateEndpointSchema)) body: UpdateEndpoint,
  ): Promise<EndpointView> {
    return this.updateEndpoint.execute({ appId, endpointId: id, changes: body });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint; its pending deliveries are cancelled' })
  async remove(@CurrentAppId() appId: string, @Param('id') id: string): Promise<void> {
    if (!(await this.endpoints.delete(appId, id))) throw AppError.notFound('Endpoint', id);
    const messageIds = await this.deliveries.cancelPendingForEndpoint(appId, id, new Date());
    await this.messages.refreshStatus(messageIds);
  }
}

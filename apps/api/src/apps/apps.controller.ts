import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  appViewSchema,
  createAppSchema,
  createdAppSchema,
  listQuerySchema,
  pageOf,
  rotateAppKeySchema,
  rotatedAppKeySchema,
  updateAppSchema,
  type AppView,
  type CreateApp,
  type RotateAppKey,
  type UpdateApp,
} from '@app/contracts';
import type { PageRequest } from '@app/dal';
import { Auth } from '../auth/auth.guard';
import {
  ApiErrors,
  ApiId,
  ApiJsonBody,
  ApiJsonQuery,
  ApiJsonResponse,
  openApiSchema,
} from '../shared/openapi';
import {
  appExample,
  createdAppExample,
  pageExample,
  updateAppExample,
} from '../shared/openapi-examples';
import { ZodPipe, ZodQueryPipe } from '../shared/zod.pipe';
import { CreateAppUseCase } from './create-app/create-app.usecase';
import { GetAppUseCase } from './get-app/get-app.usecase';
import { ListAppsUseCase } from './list-apps/list-apps.usecase';
import { UpdateAppUseCase } from './update-app/update-app.usecase';
import { RotateAppKeyUseCase } from './rotate-app-key/rotate-app-key.usecase';

@ApiTags('apps')
@Controller('v1/apps')
@Auth('admin')
@ApiErrors(401, 403)
export class AppsController {
  constructor(
    private readonly createApp: CreateAppUseCase,
    private readonly listApps: ListAppsUseCase,
    private readonly getApp: GetAppUseCase,
    private readonly updateApp: UpdateAppUseCase,
    private readonly rotateAppKey: RotateAppKeyUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an app; its API key is returned once' })
  @ApiJsonBody(createAppSchema, { name: 'shop' })
  @ApiJsonResponse(201, 'Created', createdAppSchema, createdAppExample)
  @ApiErrors(400, 413)
  create(@Body(new ZodPipe(createAppSchema)) body: CreateApp) {
    return this.createApp.execute(body);
  }

  @Get()
  @ApiOperation({ summary: 'List apps, newest first' })
  @ApiJsonQuery(listQuerySchema)
  @ApiJsonResponse(200, 'A page of apps', pageOf(appViewSchema), pageExample(appExample))
  @ApiErrors(400)
  list(@Query(new ZodQueryPipe(listQuerySchema)) query: PageRequest) {
    return this.listApps.execute(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'An app with the quotas in force and its broker user' })
  @ApiId('id', 'App id')
  @ApiJsonResponse(200, 'The app', appViewSchema, appExample)
  @ApiErrors(404)
  get(@Param('id') id: string): Promise<AppView> {
    return this.getApp.execute(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      "Set an app's own quotas, its broker user and whether it accepts only registered event types",
    description:
      'Quotas left out stay as they are; a quota set to null (or `quotas: null` for all) goes back to the environment default. `brokerUser` is the RabbitMQ user allowed to publish for the app; null clears it. `requireRegisteredEventTypes: true` refuses messages whose event type the app has not registered with PUT /v1/event-types/:name (or has archived): 400 over HTTP, dead-lettered over AMQP. Other processes see a change within 5 s.',
  })
  @ApiId('id', 'App id')
  @ApiJsonBody(updateAppSchema, updateAppExample)
  @ApiJsonResponse(200, 'The app as changed', appViewSchema, appExample)
  @ApiErrors(400, 404, 413)
  update(
    @Param('id') id: string,
    @Body(new ZodPipe(updateAppSchema)) body: UpdateApp,
  ): Promise<AppView> {
    return this.updateApp.execute({ appId: id, changes: body });
  }

  @Post(':id/rotate-key')
  @HttpCode(200)
  @ApiOperation({
    summary: 'New app key',
    description:
      'The new key is returned once. The old one keeps working for gracePeriod (default 24 h, at most 30 days); 0 revokes it at once. A key replaced by an earlier rotation stops working now: two keys are valid at most.',
  })
  @ApiId('id', 'App id')
  // The body may be left out: every field has a default.
  @ApiBody({
    required: false,
    schema: { ...openApiSchema(rotateAppKeySchema, 'input'), example: { gracePeriod: '1h' } },
  })
  @ApiJsonResponse(200, 'The new key, shown only here', rotatedAppKeySchema, {
    apiKey: 'ak_3q2Yp8kLmN0rT5vW7xZ9bC1dF4gH6jK',
  })
  @ApiErrors(400, 404, 413)
  rotateKey(@Param('id') id: string, @Body(new ZodPipe(rotateAppKeySchema)) body: RotateAppKey) {
    return this.rotateAppKey.execute({ appId: id, gracePeriodMs: body.gracePeriod });
  }
}

import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  appViewSchema,
  createAppSchema,
  createdAppSchema,
  listQuerySchema,
  pageOf,
  type CreateApp,
} from '@app/contracts';
import type { PageRequest } from '@app/dal';
import { Auth } from '../auth/auth.guard';
import { ApiErrors, ApiJsonBody, ApiJsonQuery, ApiJsonResponse } from '../shared/openapi';
import { appExample, createdAppExample, pageExample } from '../shared/openapi-examples';
import { ZodPipe } from '../shared/zod.pipe';
import { CreateAppUseCase } from './create-app/create-app.usecase';
import { ListAppsUseCase } from './list-apps/list-apps.usecase';

@ApiTags('apps')
@Controller('v1/apps')
@Auth('admin')
@ApiErrors(401, 403)
export class AppsController {
  constructor(
    private readonly createApp: CreateAppUseCase,
    private readonly listApps: ListAppsUseCase,
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
  list(@Query(new ZodPipe(listQuerySchema, 'query')) query: PageRequest) {
    return this.listApps.execute(query);
  }
}

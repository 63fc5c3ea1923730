import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { createAppSchema, listQuerySchema, type CreateApp } from '@app/contracts';
import type { PageRequest } from '@app/dal';
import { Auth } from '../auth/auth.guard';
import { ZodPipe } from '../shared/zod.pipe';
import { CreateAppUseCase } from './create-app/create-app.usecase';
import { ListAppsUseCase } from './list-apps/list-apps.usecase';

@ApiTags('apps')
@Controller('v1/apps')
@Auth('admin')
export class AppsController {
  constructor(
    private readonly createApp: CreateAppUseCase,
    private readonly listApps: ListAppsUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an app; its API key is returned once' })
  create(@Body(new ZodPipe(createAppSchema)) body: CreateApp) {
    return this.createApp.execute(body);
  }

  @Get()
  @ApiOperation({ summary: 'List apps, newest first' })
  list(@Query(new ZodPipe(listQuerySchema, 'query')) query: PageRequest) {
    return this.listApps.execute(query);
  }
}

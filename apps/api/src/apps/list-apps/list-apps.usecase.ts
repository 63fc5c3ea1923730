import { Inject, Injectable } from '@nestjs/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import type { AppView, Page } from '@app/contracts';
import { AppRepository, type PageRequest } from '@app/dal';
import { presentApp } from '../app.presenter';

@Injectable()
export class ListAppsUseCase {
  constructor(
    private readonly apps: AppRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute(page: PageRequest): Promise<Page<AppView>> {
    const { items, nextCursor } = await this.apps.list(page);
    return { data: items.map((app) => presentApp(app, this.config.quotas)), nextCursor };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import type { AppView } from '@app/contracts';
import { AppRepository } from '@app/dal';
import { presentApp } from '../app.presenter';

@Injectable()
export class GetAppUseCase {
  constructor(
    private readonly apps: AppRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute(appId: string): Promise<AppView> {
    const app = await this.apps.findById(appId);
    if (app === null) throw AppError.notFound('App', appId);
    return presentApp(app, this.config.quotas);
  }
}

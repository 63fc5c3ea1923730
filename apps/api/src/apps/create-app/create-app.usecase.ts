import { Inject, Injectable } from '@nestjs/common';
import { Clock, hashToken, newId, newSecretToken } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import type { AppView } from '@app/contracts';
import { AppRepository } from '@app/dal';
import { APP_KEY_PREFIX } from '../../auth/principal';
import { presentApp } from '../app.presenter';
import type { CreateAppCommand } from './create-app.command';

export type CreatedApp = AppView & { apiKey: string };

@Injectable()
export class CreateAppUseCase {
  constructor(
    private readonly apps: AppRepository,
    private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** The key is returned here once; only its hash is kept. */
  async execute(command: CreateAppCommand): Promise<CreatedApp> {
    const apiKey = newSecretToken(APP_KEY_PREFIX);
    const app = {
      _id: newId('app'),
      name: command.name,
      apiKeyHash: hashToken(apiKey),
      createdAt: this.clock.now(),
    };
    await this.apps.create(app);
    return { ...presentApp(app, this.config.quotas), apiKey };
  }
}

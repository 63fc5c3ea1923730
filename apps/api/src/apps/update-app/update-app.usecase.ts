import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import type { AppView } from '@app/contracts';
import { AppQuotaReader, AppRepository } from '@app/dal';
import { presentApp } from '../app.presenter';
import type { UpdateAppCommand } from './update-app.command';

/**
 * An admin sets an app's own quotas and broker user. A quota set to null, or `quotas: null` for
 * all of them, goes back to the environment's default. Other API processes and the notifiers see
 * a change within QUOTA_CACHE_MS; what the app already has (say, more endpoints than a lowered
 * quota) is kept, only new requests are refused.
 */
@Injectable()
export class UpdateAppUseCase {
  constructor(
    private readonly apps: AppRepository,
    private readonly quotas: AppQuotaReader,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async execute({ appId, changes }: UpdateAppCommand): Promise<AppView> {
    const updated = await this.apps.updateSettings(appId, changes);
    if (updated === null) throw AppError.notFound('App', appId);
    this.quotas.forget(appId);
    return presentApp(updated, this.config.quotas);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { QUOTA_NAMES, type AppView } from '@app/contracts';
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
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    if (changes.quotas === null) unset.quotas = '';
    for (const name of QUOTA_NAMES) {
      const value = changes.quotas?.[name];
      if (value === null) unset[`quotas.${name}`] = '';
      else if (value !== undefined) set[`quotas.${name}`] = value;
    }
    if (changes.brokerUser === null) unset.brokerUser = '';
    else if (changes.brokerUser !== undefined) set.brokerUser = changes.brokerUser;

    const changed = Object.keys(set).length + Object.keys(unset).length > 0;
    const updated = changed
      ? await this.apps.update(appId, { $set: set, $unset: unset })
      : await this.apps.findById(appId);
    if (updated === null) throw AppError.notFound('App', appId);
    this.quotas.forget(appId);
    return presentApp(updated, this.config.quotas);
  }
}

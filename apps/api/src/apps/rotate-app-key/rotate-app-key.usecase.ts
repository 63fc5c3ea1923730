import { Injectable } from '@nestjs/common';
import { AppError, Clock, hashToken, newSecretToken } from '@app/common';
import { AppRepository } from '@app/dal';
import { APP_KEY_PREFIX } from '../../auth/principal';
import type { RotateAppKeyCommand } from './rotate-app-key.command';

@Injectable()
export class RotateAppKeyUseCase {
  constructor(
    private readonly apps: AppRepository,
    private readonly clock: Clock,
  ) {}

  /** The new key is returned here once; only its hash is kept, as at creation. */
  async execute({ appId, gracePeriodMs }: RotateAppKeyCommand): Promise<{ apiKey: string }> {
    const apiKey = newSecretToken(APP_KEY_PREFIX);
    const previousExpiresAt =
      gracePeriodMs === 0 ? undefined : new Date(this.clock.now().getTime() + gracePeriodMs);
    const rotated = await this.apps.rotateApiKey(appId, hashToken(apiKey), previousExpiresAt);
    if (rotated === null) throw AppError.notFound('App', appId);
    return { apiKey };
  }
}

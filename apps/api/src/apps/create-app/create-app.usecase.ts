import { Injectable } from '@nestjs/common';
import { Clock, hashToken, newId, newSecretToken } from '@app/common';
import { AppRepository } from '@app/dal';
import { APP_KEY_PREFIX } from '../../auth/principal';
import type { CreateAppCommand } from './create-app.command';

export interface CreatedApp {
  id: string;
  name: string;
  apiKey: string;
  createdAt: string;
}

@Injectable()
export class CreateAppUseCase {
  constructor(
    private readonly apps: AppRepository,
    private readonly clock: Clock,
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
    return { id: app._id, name: app.name, apiKey, createdAt: app.createdAt.toISOString() };
  }
}

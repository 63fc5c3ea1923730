import { Inject, Injectable } from '@nestjs/common';
import { generateWebhookSecret } from '@app/channels';
import { Clock, hashToken, newId, newSecretToken } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { EndpointRepository, type EndpointEntity } from '@app/dal';
import { RECIPIENT_TOKEN_PREFIX } from '../../auth/principal';
import { presentEndpoint, type EndpointView } from '../endpoint.presenter';
import { checkFallbackEndpoint } from '../check-fallback';
import { TargetPolicy } from '../target-policy';
import type { CreateEndpointCommand } from './create-endpoint.command';

export type CreatedEndpoint = EndpointView & { secret: string | null; recipientToken: string };

@Injectable()
export class CreateEndpointUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly targets: TargetPolicy,
    private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** The signing secret and recipient token are shown in full only in this answer. */
  async execute({ appId, endpoint }: CreateEndpointCommand): Promise<CreatedEndpoint> {
    if (endpoint.url !== undefined && endpoint.channel === 'webhook') {
      await this.targets.check(endpoint.url);
    }
    if (endpoint.fallbackEndpointId !== undefined) {
      await checkFallbackEndpoint(this.endpoints, appId, endpoint.fallbackEndpointId);
    }
    const now = this.clock.now();
    const secret = endpoint.channel === 'webhook' ? generateWebhookSecret() : null;
    const recipientToken = newSecretToken(RECIPIENT_TOKEN_PREFIX);
    const entity: EndpointEntity = {
      _id: newId('ep'),
      appId,
      ...endpoint,
      consecutiveFailures: 0,
      secrets: secret === null ? [] : [{ secret }],
      recipientTokenHash: hashToken(recipientToken),
      createdAt: now,
      updatedAt: now,
    };
    await this.endpoints.create(entity);
    return { ...presentEndpoint(entity, this.config.retrySchedule), secret, recipientToken };
  }
}

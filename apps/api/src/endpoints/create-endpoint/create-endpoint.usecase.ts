import { Inject, Injectable } from '@nestjs/common';
import { generateWebhookSecret } from '@app/channels';
import { Clock, hashToken, newId, newSecretToken } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import type { EndpointView } from '@app/contracts';
import { AppQuotaReader, EndpointRepository, type EndpointEntity } from '@app/dal';
import { RECIPIENT_TOKEN_PREFIX } from '../../auth/principal';
import { presentEndpoint } from '../endpoint.presenter';
import { checkFallbackEndpoint } from '../check-fallback';
import { checkEndpointQuotas, endpointsQuotaExceeded } from '../endpoint-quotas';
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
    private readonly quotas: AppQuotaReader,
  ) {}

  /** The signing secret and recipient token are shown in full only in this answer. */
  async execute({ appId, endpoint }: CreateEndpointCommand): Promise<CreatedEndpoint> {
    const quotas = await this.quotas.quotasOf(appId);
    checkEndpointQuotas(endpoint, quotas);
    if ((await this.endpoints.countOfApp(appId)) >= quotas.endpoints) {
      throw endpointsQuotaExceeded(quotas.endpoints);
    }
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
    // Requests at once may all have counted a free place: only as many as there are get one.
    if (!(await this.endpoints.createWithinQuota(entity, quotas.endpoints))) {
      throw endpointsQuotaExceeded(quotas.endpoints);
    }
    return { ...presentEndpoint(entity, this.config.retrySchedule), secret, recipientToken };
  }
}

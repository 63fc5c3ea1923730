import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AppError, Clock, validationError } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { checkChannelTarget, type EndpointView, type UpdateEndpoint } from '@app/contracts';
import { AppQuotaReader, EndpointRepository, OrderingKeyRepository } from '@app/dal';
import { presentEndpoint } from '../endpoint.presenter';
import { checkFallbackEndpoint } from '../check-fallback';
import { checkEndpointQuotas } from '../endpoint-quotas';
import { TargetPolicy } from '../target-policy';

export interface UpdateEndpointCommand {
  appId: string;
  endpointId: string;
  changes: UpdateEndpoint;
}

@Injectable()
export class UpdateEndpointUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly targets: TargetPolicy,
    private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly quotas: AppQuotaReader,
    private readonly orderingKeys: OrderingKeyRepository,
  ) {}

  async execute({ appId, endpointId, changes }: UpdateEndpointCommand): Promise<EndpointView> {
    const current = await this.endpoints.findById(appId, endpointId);
    if (current === null) throw AppError.notFound('Endpoint', endpointId);
    checkEndpointQuotas(changes, await this.quotas.quotasOf(appId));
    const merged = {
      channel: current.channel,
      url: changes.url ?? current.url,
      to: changes.to ?? current.to,
    };
    const check = z
      .any()
      .superRefine((value: typeof merged, ctx) => checkChannelTarget(value, ctx));
    const checked = check.safeParse(merged);
    if (!checked.success) throw validationError(checked.error);
    if (changes.url !== undefined && current.channel === 'webhook')
      await this.targets.check(changes.url);
    if (changes.fallbackEndpointId !== undefined && changes.fallbackEndpointId !== null) {
      await checkFallbackEndpoint(this.endpoints, appId, changes.fallbackEndpointId, endpointId);
    }

    // Re-enabling an endpoint clears why it was disabled, its failure streak and its circuit
    // breaker state: the next failure starts a new streak.
    const now = this.clock.now();
    const updated = await this.endpoints.updateSettings(appId, endpointId, changes, {
      now,
      freshHealth: changes.enabled === true,
    });
    if (updated === null) throw AppError.notFound('Endpoint', endpointId);
    // No longer ordered: what waited its turn is due now. No longer blocking: blocked keys go on.
    if (changes.ordered === false) await this.orderingKeys.forgetEndpoint(appId, endpointId, now);
    else if (changes.orderedBlockOnFailure === false) {
      await this.orderingKeys.unblockEndpoint(appId, endpointId, now);
    }
    return presentEndpoint(updated, this.config.retrySchedule);
  }
}

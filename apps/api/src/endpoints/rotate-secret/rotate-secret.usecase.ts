import { Inject, Injectable } from '@nestjs/common';
import { generateWebhookSecret } from '@app/channels';
import { AppError, Clock, ErrorCode } from '@app/common';
import { API_CONFIG, type ApiConfig } from '@app/config';
import { EndpointRepository, secretRotationWaitMs, type EndpointSecret } from '@app/dal';
import type { RotateSecretCommand } from './rotate-secret.command';

/** How long a rotated-out secret keeps signing beside the new one (CONTRACT.md). */
export const SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * The secrets after a rotation: the new one first and the one it replaces, kept for the grace
 * period. Any older one is retired at once, grace period or not: two secrets live at most.
 */
export function rotatedSecrets(
  current: readonly EndpointSecret[],
  secret: string,
  now: Date,
): EndpointSecret[] {
  const replaced = current[0];
  if (replaced === undefined) return [{ secret }];
  return [
    { secret },
    { secret: replaced.secret, expiresAt: new Date(now.getTime() + SECRET_GRACE_MS) },
  ];
}

@Injectable()
export class RotateSecretUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly clock: Clock,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** The new secret is shown here only, like at creation. */
  async execute({ appId, endpointId }: RotateSecretCommand): Promise<{ secret: string }> {
    const endpoint = await this.endpoints.findById(appId, endpointId);
    if (endpoint === null) throw AppError.notFound('Endpoint', endpointId);
    const current = endpoint.secrets[0];
    if (endpoint.channel !== 'webhook' || current === undefined) {
      throw new AppError(
        ErrorCode.Conflict,
        `Endpoint ${endpointId} is a ${endpoint.channel} endpoint: only webhook endpoints have a signing secret`,
      );
    }
    const now = this.clock.now();
    const limit = this.config.secretRotationLimit;
    const waitMs = secretRotationWaitMs(endpoint, limit, now);
    if (waitMs > 0) {
      throw AppError.rateLimited(
        `Endpoint ${endpointId} rotated its secret ${limit.max} times within ${Math.ceil(limit.windowMs / 1000)} s (SECRET_ROTATION_LIMIT): try again in ${Math.ceil(waitMs / 1000)} s`,
        waitMs,
        ErrorCode.SecretRotationRateLimited,
      );
    }
    const secret = generateWebhookSecret();
    const updated = await this.endpoints.replaceSecrets(
      appId,
      endpointId,
      current.secret,
      rotatedSecrets(endpoint.secrets, secret, now),
      now,
      limit,
    );
    if (updated === null) {
      throw new AppError(
        ErrorCode.Conflict,
        `The secret of endpoint ${endpointId} was rotated (or the endpoint deleted) at the same time: fetch it and try again`,
      );
    }
    return { secret };
  }
}

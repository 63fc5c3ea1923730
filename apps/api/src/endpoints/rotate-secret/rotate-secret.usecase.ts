import { Injectable } from '@nestjs/common';
import { generateWebhookSecret } from '@app/channels';
import { AppError, Clock, ErrorCode } from '@app/common';
import { EndpointRepository, type EndpointSecret } from '@app/dal';
import type { RotateSecretCommand } from './rotate-secret.command';

/** How long a rotated-out secret keeps signing beside the new one (CONTRACT.md). */
export const SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * The secrets after a rotation: the new one first, the one it replaces kept until the grace period
 * ends, older ones kept until theirs ends. The notifier signs with every unexpired secret.
 */
export function rotatedSecrets(
  current: readonly EndpointSecret[],
  secret: string,
  now: Date,
): EndpointSecret[] {
  const graceEnd = new Date(now.getTime() + SECRET_GRACE_MS);
  const stillLive = current
    .filter((entry) => entry.expiresAt === undefined || entry.expiresAt > now)
    .map((entry) => ({
      secret: entry.secret,
      expiresAt:
        entry.expiresAt === undefined || entry.expiresAt > graceEnd ? graceEnd : entry.expiresAt,
    }));
  return [{ secret }, ...stillLive];
}

@Injectable()
export class RotateSecretUseCase {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly clock: Clock,
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
    const secret = generateWebhookSecret();
    const updated = await this.endpoints.replaceSecrets(
      appId,
      endpointId,
      current.secret,
      rotatedSecrets(endpoint.secrets, secret, now),
      now,
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

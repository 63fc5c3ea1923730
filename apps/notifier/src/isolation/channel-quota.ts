import { Injectable } from '@nestjs/common';
import { AppQuotaReader, RateLimitRepository, type EndpointEntity } from '@app/dal';

export const HOUR_MS = 3_600_000;

/**
 * An app's emailsPerHour and smsPerHour quotas: sends counted per app and clock hour across every
 * notifier (RateLimitRepository windows of an hour). Webhooks have no such quota.
 */
@Injectable()
export class ChannelQuota {
  constructor(
    private readonly quotas: AppQuotaReader,
    private readonly rateLimits: RateLimitRepository,
  ) {}

  /** How many of `wanted` sends to this endpoint its app may still make this hour. */
  async take(endpoint: EndpointEntity, wanted: number, now: Date): Promise<number> {
    if (endpoint.channel === 'webhook' || wanted === 0) return wanted;
    const quotas = await this.quotas.quotasOf(endpoint.appId);
    const limit = endpoint.channel === 'email' ? quotas.emailsPerHour : quotas.smsPerHour;
    const key = `${endpoint.channel}:${endpoint.appId}`;
    return this.rateLimits.take(key, limit, wanted, now, HOUR_MS);
  }
}

/** The start of the clock hour after `now`, when the quota's count starts over. */
export function nextHour(now: Date): Date {
  return new Date((Math.floor(now.getTime() / HOUR_MS) + 1) * HOUR_MS);
}

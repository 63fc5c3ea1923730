import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode } from '@app/common';
import { AppQuotaReader, isDatabaseUnreachable, MongoHealth, RateLimitRepository } from '@app/dal';
import { LocalRateWindows } from './local-rate-windows';

/** Apps remembered as over their quota at most; beyond, expired entries are dropped first. */
const MAX_BLOCKED_APPS = 10_000;

/**
 * An app's messagesPerSecond quota on HTTP, counted across every API process in MongoDB (one
 * upserted counter per app and second). Once a second's count is spent this process answers
 * 429 for the rest of that second from memory: a flood of refused requests costs no round trip.
 * While MongoDB has no primary (an election), each process counts on its own (LocalRateWindows)
 * instead of refusing or holding every publish until a new primary is elected.
 */
@Injectable()
export class MessageRateLimiter {
  private readonly blockedUntil = new Map<string, { until: number; limit: number }>();
  private readonly local = new LocalRateWindows();

  constructor(
    private readonly quotas: AppQuotaReader,
    private readonly rateLimits: RateLimitRepository,
    private readonly clock: Clock,
    private readonly mongo: MongoHealth,
  ) {}

  /** Counts one message; throws a 429 naming the quota when the app's second is spent. */
  async take(appId: string): Promise<void> {
    const now = this.clock.now();
    const blocked = this.blockedUntil.get(appId);
    if (blocked !== undefined && blocked.until > now.getTime()) {
      throw refusal(blocked.limit, blocked.until - now.getTime());
    }
    const limit = (await this.quotas.quotasOf(appId)).messagesPerSecond;
    if ((await this.count(appId, limit, now)) === 1) return;
    const until = (Math.floor(now.getTime() / 1000) + 1) * 1000;
    this.block(appId, until, limit, now.getTime());
    throw refusal(limit, until - now.getTime());
  }

  /** One message of the app, in the counter shared by every process while there is a primary. */
  private async count(appId: string, limit: number, now: Date): Promise<number> {
    if (this.mongo.hasPrimary) {
      try {
        return await this.rateLimits.take(`messages:${appId}`, limit, 1, now);
      } catch (error) {
        // The primary went away during the write (and the driver's retry found none).
        if (!isDatabaseUnreachable(error)) throw error;
      }
    }
    return this.local.take(appId, limit, now);
  }

  private block(appId: string, until: number, limit: number, now: number): void {
    this.blockedUntil.delete(appId);
    if (this.blockedUntil.size >= MAX_BLOCKED_APPS) {
      for (const [id, entry] of this.blockedUntil)
        if (entry.until <= now) this.blockedUntil.delete(id);
    }
    this.blockedUntil.set(appId, { until, limit });
  }
}

function refusal(limit: number, retryAfterMs: number): AppError {
  return AppError.rateLimited(
    `This app may publish ${limit} messages per second (quota messagesPerSecond): retry after the Retry-After header's seconds, or ask an admin for a higher quota`,
    retryAfterMs,
    ErrorCode.MessagesPerSecondExceeded,
  );
}

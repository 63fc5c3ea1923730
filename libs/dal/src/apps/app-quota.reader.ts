import { effectiveQuotas, type AppQuotas } from '@app/contracts';
import { isDatabaseUnreachable } from '../shared/mongo-errors';
import type { AppRepository } from './app.repository';

/** How long a process keeps an app's quotas: a PATCH takes effect everywhere within this. */
export const QUOTA_CACHE_MS = 5_000;
/** Apps whose quotas are kept at most; beyond, the oldest are read again. */
const MAX_CACHED_APPS = 10_000;

/** What is in force for an app, as the hot paths read it. */
export interface AppLimitsInForce {
  quotas: AppQuotas;
  /** Only registered event types are accepted (PATCH /v1/apps/:id requireRegisteredEventTypes). */
  requireRegisteredEventTypes: boolean;
}

/**
 * The quotas in force for apps, and whether they accept only registered event types, read from
 * MongoDB at most once per QUOTA_CACHE_MS per app, so that checking them on a hot path (every
 * publish, every intake batch) costs no extra round trip. An unknown app gets the defaults.
 * While no member of the replica set can be read, what was last read is used however old (an
 * app this process never read: the error, a 503).
 */
export class AppQuotaReader {
  private readonly cache = new Map<string, { limits: AppLimitsInForce; until: number }>();

  constructor(
    private readonly apps: AppRepository,
    private readonly defaults: AppQuotas,
    private readonly now: () => number = Date.now,
    /** Whether any member answers reads now (MongoHealth.isReadable): else do not wait for one. */
    private readonly readable: () => boolean = () => true,
  ) {}

  async quotasOf(appId: string): Promise<AppQuotas> {
    return (await this.limitsOfMany([appId])).get(appId)!.quotas;
  }

  async quotasOfMany(appIds: readonly string[]): Promise<Map<string, AppQuotas>> {
    const limits = await this.limitsOfMany(appIds);
    return new Map([...limits].map(([appId, { quotas }]) => [appId, quotas]));
  }

  async limitsOfMany(appIds: readonly string[]): Promise<Map<string, AppLimitsInForce>> {
    const now = this.now();
    const result = new Map<string, AppLimitsInForce>();
    const missing: string[] = [];
    for (const appId of new Set(appIds)) {
      const cached = this.cache.get(appId);
      if (cached !== undefined && cached.until > now) result.set(appId, cached.limits);
      else missing.push(appId);
    }
    if (missing.length === 0) return result;
    // No member answers: what was last read, rather than wait out the server selection timeout.
    if (!this.readable() && this.lastRead(missing, result)) return result;
    let own: Awaited<ReturnType<AppRepository['findLimits']>>;
    try {
      own = await this.apps.findLimits(missing);
    } catch (error) {
      if (isDatabaseUnreachable(error) && this.lastRead(missing, result)) return result;
      throw error;
    }
    for (const appId of missing) {
      const stored = own.get(appId);
      const limits = {
        quotas: effectiveQuotas(stored?.quotas, this.defaults),
        requireRegisteredEventTypes: stored?.requireRegisteredEventTypes === true,
      };
      result.set(appId, limits);
      this.remember(appId, limits, now + QUOTA_CACHE_MS);
    }
    return result;
  }

  /** This process changed the app's settings: it sees the change at once. */
  forget(appId: string): void {
    this.cache.delete(appId);
  }

  /** Fills `result` with what was last read of each app, if every one was read once. */
  private lastRead(appIds: readonly string[], result: Map<string, AppLimitsInForce>): boolean {
    if (!appIds.every((appId) => this.cache.has(appId))) return false;
    for (const appId of appIds) result.set(appId, this.cache.get(appId)!.limits);
    return true;
  }

  private remember(appId: string, limits: AppLimitsInForce, until: number): void {
    this.cache.delete(appId);
    this.cache.set(appId, { limits, until });
    if (this.cache.size > MAX_CACHED_APPS) this.cache.delete(this.cache.keys().next().value!);
  }
}

import { effectiveQuotas, type AppQuotas } from '@app/contracts';
import { isDatabaseUnreachable } from '../shared/mongo-errors';
import type { AppRepository } from './app.repository';

/** How long a process keeps an app's quotas: a PATCH takes effect everywhere within this. */
export const QUOTA_CACHE_MS = 5_000;
/** Apps whose quotas are kept at most; beyond, the oldest are read again. */
const MAX_CACHED_APPS = 10_000;

/**
 * The quotas in force for apps, read from MongoDB at most once per QUOTA_CACHE_MS per app, so
 * that checking a quota on a hot path (every publish, every intake batch) costs no extra round
 * trip. An unknown app gets the defaults. While no member of the replica set can be read, the
 * quotas last read are used however old (an app this process never read: the error, a 503).
 */
export class AppQuotaReader {
  private readonly cache = new Map<string, { quotas: AppQuotas; until: number }>();

  constructor(
    private readonly apps: AppRepository,
    private readonly defaults: AppQuotas,
    private readonly now: () => number = Date.now,
    /** Whether any member answers reads now (MongoHealth.isReadable): else do not wait for one. */
    private readonly readable: () => boolean = () => true,
  ) {}

  async quotasOf(appId: string): Promise<AppQuotas> {
    return (await this.quotasOfMany([appId])).get(appId)!;
  }

  async quotasOfMany(appIds: readonly string[]): Promise<Map<string, AppQuotas>> {
    const now = this.now();
    const result = new Map<string, AppQuotas>();
    const missing: string[] = [];
    for (const appId of new Set(appIds)) {
      const cached = this.cache.get(appId);
      if (cached !== undefined && cached.until > now) result.set(appId, cached.quotas);
      else missing.push(appId);
    }
    if (missing.length === 0) return result;
    // No member answers: what was last read, rather than wait out the server selection timeout.
    if (!this.readable() && this.lastRead(missing, result)) return result;
    let own: Awaited<ReturnType<AppRepository['findQuotas']>>;
    try {
      own = await this.apps.findQuotas(missing);
    } catch (error) {
      if (isDatabaseUnreachable(error) && this.lastRead(missing, result)) return result;
      throw error;
    }
    for (const appId of missing) {
      const quotas = effectiveQuotas(own.get(appId), this.defaults);
      result.set(appId, quotas);
      this.remember(appId, quotas, now + QUOTA_CACHE_MS);
    }
    return result;
  }

  /** This process changed the app's quotas: it sees the change at once. */
  forget(appId: string): void {
    this.cache.delete(appId);
  }

  /** Fills `result` with what was last read of each app, if every one was read once. */
  private lastRead(appIds: readonly string[], result: Map<string, AppQuotas>): boolean {
    if (!appIds.every((appId) => this.cache.has(appId))) return false;
    for (const appId of appIds) result.set(appId, this.cache.get(appId)!.quotas);
    return true;
  }

  private remember(appId: string, quotas: AppQuotas, until: number): void {
    this.cache.delete(appId);
    this.cache.set(appId, { quotas, until });
    if (this.cache.size > MAX_CACHED_APPS) this.cache.delete(this.cache.keys().next().value!);
  }
}

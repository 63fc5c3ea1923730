/**
 * Remembers which webhook ids (message ids) a recipient has taken on. Implement it over Redis
 * (`SET id 1 NX PX ttl`) or a unique index in your database to share it between processes and
 * keep it across restarts; MemoryDedupeStore is the single-process default.
 */
export interface DedupeStore {
  /** Records the id; true if it was new, false if it is already there (a duplicate). Atomic. */
  claim(id: string, ttlMs: number): Promise<boolean> | boolean;
  /** Forgets the id, so the next delivery of it is handled (after the handler failed). */
  release(id: string): Promise<void> | void;
}

export interface MemoryDedupeStoreOptions {
  /** At most this many ids are kept; the oldest go first beyond it. Default 100 000. */
  maxEntries?: number;
  now?: () => number;
}

/** In-process ids with a time to live, bounded in size. Lost on restart. */
export class MemoryDedupeStore implements DedupeStore {
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  claim(id: string, ttlMs: number): boolean {
    const now = this.now();
    const expiry = this.expiries.get(id);
    if (expiry !== undefined && expiry > now) return false;
    this.expiries.delete(id);
    this.expiries.set(id, now + ttlMs);
    this.evict(now);
    return true;
  }

  release(id: string): void {
    this.expiries.delete(id);
  }

  get size(): number {
    return this.expiries.size;
  }

  /** Maps iterate in insertion order, so the oldest entries come first. */
  private evict(now: number): void {
    for (const [id, expiry] of this.expiries) {
      if (this.expiries.size <= this.maxEntries && expiry > now) return;
      this.expiries.delete(id);
    }
  }
}

/**
 * What a DedupeStore knows about an id when asked to claim it:
 * - `claimed`: it was new (or its earlier claim expired or was released); the caller handles it;
 * - `in_progress`: another handling of it is still running and may yet fail: not a duplicate;
 * - `done`: a handling finished; a repeat is a duplicate.
 */
export type DedupeClaim = 'claimed' | 'in_progress' | 'done';

/** How long a claim lasts by default: ten minutes, well beyond what a handler should take. */
export const DEFAULT_CLAIM_TTL_MS = 10 * 60 * 1000;

/**
 * Remembers which webhook ids (message ids) a recipient is handling or has handled. Implement it
 * over Redis or a unique index in your database to share it between processes and keep it across
 * restarts (Redis: `SET id running NX PX claimTtl`, on failure `GET id`; `complete` is
 * `SET id done PX ttl`, `release` is `DEL id`); MemoryDedupeStore is the single-process default.
 */
export interface DedupeStore {
  /**
   * Atomically: an id unknown (or whose entry expired) is recorded as in progress for `claimTtlMs`
   * and `claimed` is returned; otherwise what is recorded. The claim's time to live bounds how
   * long a handler that died (a crashed process) keeps the id from being handled again.
   */
  claim(id: string, claimTtlMs: number): Promise<DedupeClaim> | DedupeClaim;
  /** The handler finished: the id is `done` for `ttlMs`. */
  complete(id: string, ttlMs: number): Promise<void> | void;
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
  private readonly entries = new Map<string, { expiry: number; done: boolean }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  claim(id: string, claimTtlMs: number): DedupeClaim {
    const now = this.now();
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.expiry > now) return entry.done ? 'done' : 'in_progress';
    this.set(id, { expiry: now + claimTtlMs, done: false }, now);
    return 'claimed';
  }

  complete(id: string, ttlMs: number): void {
    const now = this.now();
    this.set(id, { expiry: now + ttlMs, done: true }, now);
  }

  release(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  private set(id: string, entry: { expiry: number; done: boolean }, now: number): void {
    // Deleted first, so that the map's insertion order stays the order of the last write.
    this.entries.delete(id);
    this.entries.set(id, entry);
    this.evict(now);
  }

  /** Maps iterate in insertion order, so the oldest entries come first. */
  private evict(now: number): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && entry.expiry > now) return;
      this.entries.delete(id);
    }
  }
}

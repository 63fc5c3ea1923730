/** How long after the change log's tail failed it is opened again: doubling from first to last. */
const REOPEN_AFTER_MS = [1_000, 60_000] as const;

/**
 * How long what a cache holds is kept at most: a change no writer recorded in the change log (an
 * edit by hand in MongoDB, a writer that died between its write and its entry) is read by then.
 */
export const EXPIRE_AFTER_MS = 5 * 60_000;

/**
 * How long a read that found the tail caught up vouches for what a cache holds
 * (unchangedWithinLease). A writer that answers a change to someone must answer no sooner than
 * this after recording it (the API's endpoint writes), so that whatever that someone does next
 * meets a cache that has dropped what the change replaced.
 */
export const CHANGE_LEASE_MS = 100;

/** Follows the change log, as the DAL's repositories do (`watchChanges`). */
export type WatchChanges<C> = (listener: {
  ready(): void;
  changed(change: C): void;
  failed(error: unknown): void;
}) => {
  close(): Promise<void>;
  /** Whether the tail has read every entry the log holds now (one read of its last entry). */
  caughtUp(): Promise<boolean>;
};

/** What the cache does when the log reports a change, when its tail ends, and when all expires. */
export interface FollowedCache<C> {
  changed(change: C): void;
  /** The tail ended: what is held may be stale from now on; it is opened again later. */
  lost(error: unknown): void;
  /** What is held is read again (EXPIRE_AFTER_MS). */
  expired(): void;
}

/**
 * The change log's tail behind a cache of MongoDB documents (EndpointCache, EventTypeCatalog):
 * opened at `start`, opened again after it fails (after 1 s, doubling up to 60 s), and a
 * generation that its opening, each change, its failure and each expiry count. A read that began
 * before the tail opened may predate a change it never reports, and one that began before a
 * change may return what the change replaced: the cache keeps a read only if `mayKeep(mark)`, with
 * the `mark` taken before the read. Nothing may be kept while the tail is not open, and nothing
 * is kept longer than EXPIRE_AFTER_MS.
 */
export class ChangeFollower<C> {
  private generation = 0;
  private open = false;
  private tail: ReturnType<WatchChanges<C>> | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private reopenAfterMs: number = REOPEN_AFTER_MS[0];
  private expiryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Counts the tail's failures: a read of the log's end that spans one vouches for nothing. */
  private failures = 0;
  /** When (performance.now()) the last read that found the tail caught up began. */
  private caughtUpFrom: number | undefined;
  private refreshing = false;

  constructor(
    private readonly watch: WatchChanges<C>,
    private readonly cache: FollowedCache<C>,
  ) {}

  /** Whether the tail is open, so that what is read may be kept. */
  get following(): boolean {
    return this.open;
  }

  start(): void {
    if (this.stopped) return;
    this.expiryTimer ??= setInterval(() => {
      this.generation++;
      this.cache.expired();
    }, EXPIRE_AFTER_MS).unref();
    this.tail = this.watch({
      ready: () => {
        this.open = true;
        this.generation++;
        this.reopenAfterMs = REOPEN_AFTER_MS[0];
      },
      changed: (change) => {
        this.generation++;
        this.cache.changed(change);
      },
      failed: (error) => {
        this.open = false;
        this.generation++;
        this.failures++;
        this.caughtUpFrom = undefined;
        this.cache.lost(error);
        this.reopenTimer = setTimeout(() => this.start(), this.reopenAfterMs);
        this.reopenAfterMs = Math.min(REOPEN_AFTER_MS[1], this.reopenAfterMs * 2);
        this.reopenTimer.unref();
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reopenTimer);
    clearInterval(this.expiryTimer);
    await this.tail?.close();
  }

  /** Taken before a read: see mayKeep. */
  mark(): number {
    return this.generation;
  }

  /** Whether what was read after `mark` was taken may be kept: nothing happened since. */
  mayKeep(mark: number): boolean {
    return this.open && mark === this.generation;
  }

  /**
   * Whether nothing changed from `mark` until now, as a read made now would see it: the tail was
   * open throughout, reported nothing, and has read every entry the log holds. What the cache
   * held at `mark` is then as current as a read of the documents made now, for every change
   * recorded in the log, at the cost of one small read.
   */
  async unchangedSince(mark: number): Promise<boolean> {
    return (await this.readEnd()) && this.mayKeep(mark);
  }

  /**
   * Whether what the cache holds now reflects every change recorded before the last
   * CHANGE_LEASE_MS, with no read: a read that began less than that ago (unchangedSince's, or one
   * this starts once half the lease has passed) found the tail caught up, and the tail stayed open
   * since. A change answered CHANGE_LEASE_MS after its entry was written is then dropped already
   * from what the cache holds for anything its answer led to.
   */
  unchangedWithinLease(): boolean {
    if (this.caughtUpFrom === undefined || !this.open) return false;
    const age = performance.now() - this.caughtUpFrom;
    if (age >= CHANGE_LEASE_MS / 2 && !this.refreshing) {
      this.refreshing = true;
      void this.readEnd()
        .catch(() => false)
        .finally(() => (this.refreshing = false));
    }
    return age < CHANGE_LEASE_MS;
  }

  /** Whether the tail has read the log's end; if so, the lease runs from when this began. */
  private async readEnd(): Promise<boolean> {
    const began = performance.now();
    const failures = this.failures;
    const caughtUp = (await this.tail?.caughtUp()) ?? false;
    if (caughtUp && this.open && failures === this.failures) {
      this.caughtUpFrom = Math.max(this.caughtUpFrom ?? began, began);
    }
    return caughtUp;
  }
}

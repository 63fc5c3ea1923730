/** How long after the change stream failed it is opened again: doubling from the first, to the last. */
const REOPEN_AFTER_MS = [1_000, 60_000] as const;

/** Opens a change stream, as the DAL's repositories do (`watchChanges`). */
export type WatchChanges<C> = (listener: {
  ready(): void;
  changed(change: C): void;
  failed(error: unknown): void;
}) => { close(): Promise<void> };

/** What the cache does when the stream reports a change, and when it ends. */
export interface FollowedCache<C> {
  changed(change: C): void;
  /** The stream ended: what is held may be stale from now on; it is opened again later. */
  lost(error: unknown): void;
}

/**
 * The change stream behind a cache of MongoDB documents (EndpointCache, EventTypeCatalog): opened
 * at `start`, opened again after it fails (after 1 s, doubling up to 60 s), and a generation that
 * its opening, each change and its failure count. A read that began before the stream opened may
 * predate a change the stream never reports, and one that began before a change may return what
 * the change replaced: the cache keeps a read only if `mayKeep(mark)`, with the `mark` taken
 * before the read. Nothing may be kept while the stream is not open.
 */
export class ChangeFollower<C> {
  private generation = 0;
  private open = false;
  private stream: { close(): Promise<void> } | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private reopenAfterMs: number = REOPEN_AFTER_MS[0];
  private stopped = false;

  constructor(
    private readonly watch: WatchChanges<C>,
    private readonly cache: FollowedCache<C>,
  ) {}

  /** Whether the stream is open, so that what is read may be kept. */
  get following(): boolean {
    return this.open;
  }

  start(): void {
    if (this.stopped) return;
    this.stream = this.watch({
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
    await this.stream?.close();
  }

  /** Taken before a read: see mayKeep. */
  mark(): number {
    return this.generation;
  }

  /** Whether what was read after `mark` was taken may be kept: nothing happened since. */
  mayKeep(mark: number): boolean {
    return this.open && mark === this.generation;
  }
}

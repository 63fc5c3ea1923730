/** Apps counted at most; beyond, the least recently counted are dropped first. */
const MAX_APPS = 10_000;

/**
 * An app's messages per second counted by this process alone: MessageRateLimiter's stand-in for
 * the counter shared in MongoDB while MongoDB has no primary to write it to (an election). Each
 * API process then lets an app publish up to its quota, so N processes let it publish N times
 * its quota for those seconds.
 */
export class LocalRateWindows {
  private readonly windows = new Map<string, { second: number; count: number }>();

  /** Counts one message of `appId` in the second holding `now`: 1 if within `limit`, else 0. */
  take(appId: string, limit: number, now: Date): number {
    const second = Math.floor(now.getTime() / 1000);
    const window = this.windows.get(appId);
    const count = window?.second === second ? window.count + 1 : 1;
    this.windows.delete(appId);
    this.windows.set(appId, { second, count });
    if (this.windows.size > MAX_APPS) this.windows.delete(this.windows.keys().next().value!);
    return count <= limit ? 1 : 0;
  }
}

/** The first wait between two tries while MongoDB is down; each next one is twice as long. */
const FIRST_BACKOFF_MS = 250;
/** The longest wait between two tries. */
const MAX_BACKOFF_MS = 10_000;

/**
 * Intake's way with MongoDB being down: runs `attempt` until it succeeds, waiting 250 ms, 500 ms,
 * ... at most MAX_BACKOFF_MS between tries. `failed` is told each error and the wait that follows
 * (it may throw to give up at once). Once `stopped()` after a wait (shutdown): undefined, and
 * what was taken off the queue stays unacknowledged for the broker to deliver again.
 */
export async function retryUntilStopped<T>(
  attempt: () => Promise<T>,
  failed: (error: unknown, backoffMs: number) => void,
  stopped: () => boolean,
): Promise<T | undefined> {
  for (let backoffMs = FIRST_BACKOFF_MS; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
    try {
      return await attempt();
    } catch (error) {
      failed(error, backoffMs);
    }
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
    if (stopped()) return undefined;
  }
}

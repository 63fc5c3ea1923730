export interface BackoffOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** No delay grows beyond this. */
  maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter: retry n (1-based) waits a random time up to
 * `initialDelayMs * 2^(n-1)`, capped; the jitter keeps many producers from retrying in step.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random = Math.random): number {
  const ceiling = Math.min(
    options.maxDelayMs,
    options.initialDelayMs * 2 ** Math.max(0, retry - 1),
  );
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`, or as soon as any of the signals aborts. */
export function sleep(ms: number, ...signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((signal) => signal.aborted)) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', done);
      resolve();
    }
    for (const signal of signals) signal.addEventListener('abort', done, { once: true });
  });
}

/** Where the SDK reports what it recovered from; defaults to stderr. */
export interface SdkLogger {
  warn(message: string): void;
}

export const consoleLogger: SdkLogger = {
  warn: (message) => console.warn(`[notify-client] ${message}`),
};

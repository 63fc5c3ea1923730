import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** How often the bench's event loop is sampled, ms: what a sample is late by beyond this. */
const INTERVAL_MS = 2;

/**
 * How late the bench's own event loop ran while a measure ran. The sink stamps each arrival in
 * this process, so a moment the machine's cores were busy elsewhere (on 2 cores, mongod under
 * wine, the broker and both pipelines) adds its delay to every latency it meets, whichever
 * pipeline's turn it was: a p99 of tens of ms here means the latencies' p99 measured the machine
 * as much as the pipeline.
 */
export class LoopDelay {
  /** In microseconds, at least 1 (a RecordableHistogram takes positive integers). */
  private readonly lateUs = createHistogram();
  private readonly timer: NodeJS.Timeout;

  private constructor() {
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.lateUs.record(Math.max(1, Math.round((now - last - INTERVAL_MS) * 1000)));
      last = now;
    }, INTERVAL_MS).unref();
  }

  static start(): LoopDelay {
    return new LoopDelay();
  }

  stop(): RecordableHistogram {
    clearInterval(this.timer);
    return this.lateUs;
  }
}

/** Several runs' delays as one. */
export function pooledDelay(delays: readonly RecordableHistogram[]): RecordableHistogram {
  const pooled = createHistogram();
  for (const delay of delays) pooled.add(delay);
  return pooled;
}

export function delayCell(lateUs: RecordableHistogram): string {
  const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 1 : 0);
  return `p99 ${ms(lateUs.percentile(99))} / max ${ms(lateUs.max)}`;
}

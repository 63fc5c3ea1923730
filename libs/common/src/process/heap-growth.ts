import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived its last full collection before it
 * collects again, in percent. Left to itself V8 allows up to 300 % when collections are cheap, as
 * they are here: a notifier draining 100,000 retries keeps about 40 MB live, yet its heap reached
 * 180 MB and its RSS 260 MB (`npm run bench -- --only retries --node-arg --trace-gc`). At 100 %
 * its RSS peaked at 180 MB and the drain was as fast, within the machine's noise; a full
 * collection of a heap this size takes 10 to 30 ms, now every few seconds under load.
 */
const HEAP_GROWING_PERCENT = 100;

/** The V8 flag that bounds the heap's growth (above), or none when `execArgv` sets its own. */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return undefined;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/**
 * Bounds the heap's growth (above), unless the process was started with its own
 * `--heap-growing-percent`. V8 reads the flag at every full collection, so setting it once the
 * process runs takes effect; a hard limit (`--max-old-space-size`) would instead crash a
 * notifier whose live heap is large for good reason (500 unacknowledged messages of 256 KB).
 */
export function boundHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv);
  if (flag !== undefined) setFlagsFromString(flag);
}

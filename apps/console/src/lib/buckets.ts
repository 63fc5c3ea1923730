import type { AttemptView } from '@app/contracts';

export interface OutcomeBucket {
  /** Start of the bucket, epoch ms. */
  start: number;
  succeeded: number;
  failed: number;
}

export interface OutcomeSeries {
  buckets: OutcomeBucket[];
  stepMs: number;
  succeeded: number;
  failed: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bucket widths a reader can take in at a glance. */
const STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  30 * DAY,
];

/**
 * Counts attempts by outcome over time: at most `maxBuckets` buckets of a round width, aligned
 * to multiples of it, from the first attempt's bucket to the last one's (empty ones included).
 */
export function bucketByOutcome(
  attempts: readonly Pick<AttemptView, 'startedAt' | 'outcome'>[],
  maxBuckets = 30,
): OutcomeSeries {
  const times = attempts.map((a) => new Date(a.startedAt).getTime()).filter(Number.isFinite);
  if (times.length === 0) return { buckets: [], stepMs: MINUTE, succeeded: 0, failed: 0 };
  const first = Math.min(...times);
  const last = Math.max(...times);
  const span = last - first;
  const stepMs =
    STEPS.find((step) => Math.floor(last / step) - Math.floor(first / step) < maxBuckets) ??
    Math.ceil((span + 1) / maxBuckets);
  const origin = Math.floor(first / stepMs) * stepMs;
  const count = Math.floor((last - origin) / stepMs) + 1;
  const buckets: OutcomeBucket[] = Array.from({ length: count }, (_, i) => ({
    start: origin + i * stepMs,
    succeeded: 0,
    failed: 0,
  }));
  let succeeded = 0;
  let failed = 0;
  attempts.forEach((attempt) => {
    const time = new Date(attempt.startedAt).getTime();
    if (!Number.isFinite(time)) return;
    const bucket = buckets[Math.floor((time - origin) / stepMs)]!;
    bucket[attempt.outcome] += 1;
    if (attempt.outcome === 'succeeded') succeeded += 1;
    else failed += 1;
  });
  return { buckets, stepMs, succeeded, failed };
}

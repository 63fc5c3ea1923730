import { bucketByOutcome } from './buckets';

const at = (iso: string, outcome: 'succeeded' | 'failed') => ({ startedAt: iso, outcome });

describe('bucketByOutcome', () => {
  it('is empty without attempts', () => {
    expect(bucketByOutcome([])).toMatchObject({ buckets: [], succeeded: 0, failed: 0 });
  });

  it('counts outcomes in round buckets, keeping empty ones between', () => {
    const series = bucketByOutcome(
      [
        at('2026-11-26T08:00:01.000Z', 'failed'),
        at('2026-11-26T08:00:03.000Z', 'failed'),
        at('2026-11-26T08:00:40.000Z', 'succeeded'),
      ],
      30,
    );
    // 39 s apart: 1 s buckets would need 40 (over 30), 2 s buckets 21.
    expect(series.stepMs).toBe(2000);
    expect(series.buckets).toHaveLength(21);
    expect(series.buckets[0]).toEqual({
      start: Date.parse('2026-11-26T08:00:00.000Z'),
      succeeded: 0,
      failed: 1,
    });
    expect(series.buckets[1]).toMatchObject({ succeeded: 0, failed: 1 });
    expect(series.buckets[20]).toMatchObject({ succeeded: 1, failed: 0 });
    expect(series.buckets.slice(2, 20).every((b) => b.succeeded + b.failed === 0)).toBe(true);
    expect(series).toMatchObject({ succeeded: 1, failed: 2 });
  });

  it('widens the buckets for a longer span', () => {
    const series = bucketByOutcome(
      [at('2026-11-26T08:00:00.000Z', 'failed'), at('2026-11-27T07:59:00.000Z', 'succeeded')],
      24,
    );
    expect(series.stepMs).toBe(3_600_000);
    expect(series.buckets).toHaveLength(24);
  });

  it('puts every attempt of one instant in one bucket', () => {
    const series = bucketByOutcome([
      at('2026-11-26T08:00:00.500Z', 'succeeded'),
      at('2026-11-26T08:00:00.500Z', 'failed'),
    ]);
    expect(series.buckets).toEqual([
      { start: Date.parse('2026-11-26T08:00:00.000Z'), succeeded: 1, failed: 1 },
    ]);
  });
});

import { deferredSlots } from './intake-pacer';

const NOW = new Date('2026-12-01T10:00:00.300Z');
const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

describe('deferredSlots', () => {
  it('lets a second worth of messages go at once and paces the rest', () => {
    const slots = deferredSlots(ids(8), NOW, 4, NOW);
    expect(slots.map(([id, at]) => [id, at.getTime() - NOW.getTime()])).toEqual([
      ['m4', 1_000],
      ['m5', 1_250],
      ['m6', 1_500],
      ['m7', 1_750],
    ]);
  });

  it('defers every message of a batch that finds the pace already ahead', () => {
    const start = new Date(NOW.getTime() + 5_000);
    const slots = deferredSlots(ids(3), start, 10, NOW);
    expect(slots.map(([, at]) => at.getTime() - NOW.getTime())).toEqual([5_000, 5_100, 5_200]);
  });

  it('defers nothing within the quota', () => {
    expect(deferredSlots(ids(100), NOW, 100, NOW)).toEqual([]);
  });
});

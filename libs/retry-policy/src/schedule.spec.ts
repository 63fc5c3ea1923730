import { DEFAULT_RETRY_SCHEDULE, MAX_DURATION_MS, parseDurationList } from './duration';
import {
  applyJitter,
  JITTER_RATIO,
  MAX_RETRY_AFTER_MS,
  maxAttempts,
  nextRetryDelay,
  parseRetryAfter,
  planRetry,
} from './schedule';

const NOW = new Date('2026-11-26T08:00:00.000Z');
const SCHEDULE = [15_000, 60_000, 300_000];
const noJitter = (): number => 0.5;
const lowest = (): number => 0;
const highest = (): number => 0.999_999_999;

describe('maxAttempts', () => {
  it('is one immediate attempt plus one per scheduled delay', () => {
    expect(maxAttempts(SCHEDULE)).toBe(4);
    expect(maxAttempts(parseDurationList(DEFAULT_RETRY_SCHEDULE))).toBe(9);
  });

  it('is the immediate attempt alone for an empty schedule', () => {
    expect(maxAttempts([])).toBe(1);
  });
});

describe('nextRetryDelay', () => {
  it('has no delay before the first, immediate attempt', () => {
    expect(nextRetryDelay(SCHEDULE, 0)).toBe(0);
  });

  it.each([
    [1, 15_000],
    [2, 60_000],
    [3, 300_000],
  ])('after attempt %p waits schedule[%p - 1]', (attemptsMade, expected) => {
    expect(nextRetryDelay(SCHEDULE, attemptsMade)).toBe(expected);
  });

  it('is exhausted once every scheduled attempt has been made', () => {
    expect(nextRetryDelay(SCHEDULE, 4)).toBeNull();
    expect(nextRetryDelay(SCHEDULE, 100)).toBeNull();
  });

  it('with an empty schedule gives up after the immediate attempt', () => {
    expect(nextRetryDelay([], 1)).toBeNull();
  });

  it('makes exactly maxAttempts attempts', () => {
    let attemptsMade = 0;
    while (nextRetryDelay(SCHEDULE, attemptsMade) !== null) attemptsMade += 1;
    expect(attemptsMade).toBe(maxAttempts(SCHEDULE));
  });

  it('adds up to about 23 hours for the default schedule', () => {
    const schedule = parseDurationList(DEFAULT_RETRY_SCHEDULE);
    let total = 0;
    for (let made = 1; made < maxAttempts(schedule); made += 1) {
      total += nextRetryDelay(schedule, made) ?? 0;
    }
    expect(total).toBe(((22 * 60 + 36) * 60 + 15) * 1000);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %p attempts made',
    (attemptsMade) => {
      expect(() => nextRetryDelay(SCHEDULE, attemptsMade)).toThrow(RangeError);
    },
  );
});

describe('applyJitter', () => {
  it('is exact in the middle of the range', () => {
    expect(applyJitter(60_000, noJitter)).toBe(60_000);
  });

  it('spans plus or minus JITTER_RATIO', () => {
    expect(JITTER_RATIO).toBe(0.1);
    expect(applyJitter(60_000, lowest)).toBe(54_000);
    expect(applyJitter(60_000, highest)).toBe(66_000);
  });

  it('stays within the range for many random draws', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let i = 0; i < 10_000; i += 1) {
      const delay = applyJitter(1_000, random);
      expect(delay).toBeGreaterThanOrEqual(900);
      expect(delay).toBeLessThanOrEqual(1_100);
    }
  });

  it('rounds to whole milliseconds', () => {
    expect(Number.isInteger(applyJitter(333, () => 0.123))).toBe(true);
  });

  it('keeps a zero delay at zero and never goes negative', () => {
    expect(applyJitter(0, lowest)).toBe(0);
    expect(applyJitter(0, highest)).toBe(0);
    expect(applyJitter(-100, highest)).toBe(0);
  });

  it('stays within the range when random misbehaves', () => {
    expect(applyJitter(1_000, () => -5)).toBe(900);
    expect(applyJitter(1_000, () => 7)).toBe(1_100);
    expect(applyJitter(1_000, () => Number.NaN)).toBe(1_000);
  });
});

describe('planRetry', () => {
  it('plans the next attempt from the schedule', () => {
    const at = planRetry({ schedule: SCHEDULE, attemptsMade: 1, now: NOW, random: noJitter });
    expect(at).toEqual(new Date('2026-11-26T08:00:15.000Z'));
  });

  it('applies jitter', () => {
    const early = planRetry({ schedule: SCHEDULE, attemptsMade: 2, now: NOW, random: lowest });
    const late = planRetry({ schedule: SCHEDULE, attemptsMade: 2, now: NOW, random: highest });
    expect(early).toEqual(new Date(NOW.getTime() + 54_000));
    expect(late).toEqual(new Date(NOW.getTime() + 66_000));
  });

  it('plans a valid date, at most MAX_DURATION_MS ahead, from a delay stored before the bound', () => {
    // A schedule stored when durations up to 2^53 ms were accepted: now + delay is no Date.
    const at = planRetry({ schedule: [8.64e15], attemptsMade: 1, now: NOW, random: noJitter });
    expect(at?.getTime()).toBe(NOW.getTime() + MAX_DURATION_MS);
  });

  it('bounds notBeforeMs by MAX_RETRY_AFTER_MS, whatever a channel reports', () => {
    for (const notBeforeMs of [8.64e15, Number.POSITIVE_INFINITY, Number.NaN]) {
      const at = planRetry({
        schedule: SCHEDULE,
        attemptsMade: 1,
        now: NOW,
        random: noJitter,
        notBeforeMs,
      });
      expect(at).not.toBeNull();
      expect(Number.isNaN(at!.getTime())).toBe(false);
      expect(at!.getTime()).toBeLessThanOrEqual(NOW.getTime() + MAX_RETRY_AFTER_MS);
    }
  });

  it('is null when the schedule is exhausted', () => {
    expect(planRetry({ schedule: SCHEDULE, attemptsMade: 4, now: NOW, random: noJitter })).toBe(
      null,
    );
  });

  it('waits at least notBeforeMs when Retry-After asks for longer', () => {
    const at = planRetry({
      schedule: SCHEDULE,
      attemptsMade: 1,
      now: NOW,
      random: highest,
      notBeforeMs: 120_000,
    });
    expect(at).toEqual(new Date(NOW.getTime() + 120_000));
  });

  it('keeps the jittered delay when it is longer than notBeforeMs', () => {
    const at = planRetry({
      schedule: SCHEDULE,
      attemptsMade: 3,
      now: NOW,
      random: lowest,
      notBeforeMs: 5_000,
    });
    expect(at).toEqual(new Date(NOW.getTime() + 270_000));
  });

  it('does not extend an exhausted schedule because of Retry-After', () => {
    const at = planRetry({
      schedule: SCHEDULE,
      attemptsMade: 4,
      now: NOW,
      random: noJitter,
      notBeforeMs: 1_000,
    });
    expect(at).toBeNull();
  });

  it('does not change now', () => {
    const now = new Date(NOW);
    planRetry({ schedule: SCHEDULE, attemptsMade: 1, now, random: noJitter });
    expect(now).toEqual(NOW);
  });
});

describe('parseRetryAfter', () => {
  it('is undefined when the header is absent or blank', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('   ', NOW)).toBeUndefined();
  });

  it.each([
    ['0', 0],
    ['1', 1_000],
    ['120', 120_000],
    [' 30 ', 30_000],
    ['86400', 86_400_000],
  ])('reads delay-seconds %p as %p ms', (header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });

  it.each(['-1', '1.5', '+5', '5s', '1e3', 'soon', '0x10', 'Infinity', '12 34'])(
    'is undefined for %p, which is neither delay-seconds nor an HTTP-date',
    (header) => {
      expect(parseRetryAfter(header, NOW)).toBeUndefined();
    },
  );

  it('reads an IMF-fixdate', () => {
    expect(parseRetryAfter('Thu, 26 Nov 2026 08:02:00 GMT', NOW)).toBe(120_000);
  });

  it('reads the obsolete RFC 850 form', () => {
    expect(parseRetryAfter('Thursday, 26-Nov-26 08:02:00 GMT', NOW)).toBe(120_000);
  });

  it('reads the asctime form as GMT', () => {
    expect(parseRetryAfter('Thu Nov 26 08:02:00 2026', NOW)).toBe(120_000);
    const december = new Date('2026-12-01T00:00:00.000Z');
    expect(parseRetryAfter('Tue Dec  1 00:00:30 2026', december)).toBe(30_000);
  });

  it('reads a two-digit year more than 50 years ahead as the previous century', () => {
    // 26-Nov-94 is 1994, long past: retry at once.
    expect(parseRetryAfter('Saturday, 26-Nov-94 08:02:00 GMT', NOW)).toBe(0);
  });

  it('is 0 for a date in the past', () => {
    expect(parseRetryAfter('Thu, 26 Nov 2026 07:00:00 GMT', NOW)).toBe(0);
  });

  it('caps a delay at a day', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(86_400_000);
    expect(parseRetryAfter('86401', NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('99999999999', NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('9'.repeat(400), NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('caps a far future date at a day', () => {
    expect(parseRetryAfter('Fri, 26 Nov 2100 08:00:00 GMT', NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([
    'Thu, 31 Feb 2026 08:00:00 GMT',
    'Thu, 26 Nov 2026 24:00:00 GMT',
    'Thu, 26 Nov 2026 08:60:00 GMT',
    'Thu, 26 Foo 2026 08:00:00 GMT',
    'Thu, 26 Nov 2026 08:00:00 UTC',
    'Thu, 26 Nov 2026 08:00:00 +0000',
    '2026-11-26T08:02:00Z',
    'Thu, 26 Nov 2026',
    'thu, 26 nov 2026 08:02:00 gmt',
  ])('is undefined for the malformed date %p', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });
});

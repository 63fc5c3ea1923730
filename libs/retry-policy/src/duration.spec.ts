import {
  DEFAULT_RETRY_SCHEDULE,
  DurationError,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  parseDurationList,
} from './duration';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [1, 1],
    [15_000, 15_000],
    [MAX_DURATION_MS, MAX_DURATION_MS],
  ])('takes the number %p as milliseconds', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['500ms', 500],
    ['0ms', 0],
    ['0s', 0],
    ['15s', 15_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    ['0.25m', 15_000],
    ['1.005s', 1_005],
    ['1.5ms', 2],
    ['0.4ms', 0],
    ['007s', 7_000],
    ['  15s  ', 15_000],
  ])('reads %p as %p ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    -1,
    -0.5,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_SAFE_INTEGER + 1,
  ])('refuses the number %p', (input) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
    expect(() => parseDuration(input)).toThrow('milliseconds must be a whole number, 0 or more');
  });

  it.each([
    '',
    '   ',
    '10x',
    '-5s',
    '+5s',
    '.5s',
    '5.s',
    '5 s',
    '5S',
    '1M',
    '5sec',
    '5mins',
    's',
    '1e3ms',
    'NaN',
    'Infinity',
    '15s,1m',
  ])('refuses the string %p', (input) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
  });

  it.each([null, undefined, true, {}, [], ['15s'], { ms: 5 }, BigInt(5)])(
    'refuses %p, which is neither a number nor a string',
    (input) => {
      expect(() => parseDuration(input)).toThrow(DurationError);
      expect(() => parseDuration(input)).toThrow('is not a duration');
    },
  );

  it('says what it accepts when it refuses', () => {
    expect(() => parseDuration('10x')).toThrow(
      '"10x" is not a duration: use milliseconds (a number) or a number with a unit ms, s, m, h or d ("15s")',
    );
  });

  it('refuses a string without a unit and suggests writing the unit', () => {
    expect(() => parseDuration('500')).toThrow(
      '"500" has no unit: write "500ms" for milliseconds, or use another unit s, m, h or d ("15s")',
    );
  });

  it('names an empty string plainly', () => {
    expect(() => parseDuration('')).toThrow('an empty string is not a duration');
  });

  it('names the kind of a value that is neither number nor string', () => {
    expect(() => parseDuration(null)).toThrow(/^null is not a duration/);
    expect(() => parseDuration(undefined)).toThrow(/^undefined is not a duration/);
    expect(() => parseDuration({})).toThrow(/^an object is not a duration/);
    expect(() => parseDuration([])).toThrow(/^an array is not a duration/);
  });

  it('refuses a duration too long to count in safe integer milliseconds', () => {
    expect(() => parseDuration('999999999999999d')).toThrow('too long to be a duration');
  });

  it.each([
    ['100000000d', '"100000000d" is longer than the longest duration accepted, 365d'],
    ['366d', '"366d" is longer than the longest duration accepted, 365d'],
    [MAX_DURATION_MS + 1, '31536000001 is longer than the longest duration accepted, 365d'],
    [Number.MAX_SAFE_INTEGER, 'is longer than the longest duration accepted, 365d'],
  ])('refuses %p: a time that far ahead is no longer a date', (input, message) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
    expect(() => parseDuration(input)).toThrow(message);
    expect(() => parseDurationList(`1s,${String(input)}`)).toThrow(DurationError);
  });

  it('takes 365d, the longest', () => {
    expect(parseDuration('365d')).toBe(MAX_DURATION_MS);
  });

  it('cuts a very long input short in its message', () => {
    const error = catchDurationError(() => parseDuration('x'.repeat(10_000)));
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toContain('...');
  });

  it('is an Error named DurationError', () => {
    const error = catchDurationError(() => parseDuration('nope'));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DurationError');
  });
});

describe('parseDurationList', () => {
  it('reads the default schedule', () => {
    expect(parseDurationList(DEFAULT_RETRY_SCHEDULE)).toEqual([
      15_000, 60_000, 300_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
    ]);
  });

  it('trims spaces around entries', () => {
    expect(parseDurationList(' 15s , 1m,5m ')).toEqual([15_000, 60_000, 300_000]);
  });

  it('reads one entry', () => {
    expect(parseDurationList('500ms')).toEqual([500]);
  });

  it.each(['', '   '])('reads %p as an empty list', (csv) => {
    expect(parseDurationList(csv)).toEqual([]);
  });

  it.each(['15s,,1m', '15s,', ',15s', '15s, ,1m', ','])('refuses the empty entry in %p', (csv) => {
    expect(() => parseDurationList(csv)).toThrow(DurationError);
    expect(() => parseDurationList(csv)).toThrow(/entry \d+ of .* is empty/);
  });

  it('names the position of an empty entry', () => {
    expect(() => parseDurationList('15s,,1m')).toThrow('entry 2 of "15s,,1m" is empty');
  });

  it('names the position and value of a bad entry', () => {
    expect(() => parseDurationList('15s,1m,10x')).toThrow(
      'entry 3: "10x" is not a duration: use milliseconds (a number) or a number with a unit',
    );
  });

  it('refuses an entry without a unit, as a single duration string is refused', () => {
    expect(() => parseDurationList('15000,1m')).toThrow('entry 1: "15000" has no unit');
  });

  it('separates entries only by commas', () => {
    expect(() => parseDurationList('15s 1m')).toThrow(DurationError);
    expect(() => parseDurationList('15s;1m')).toThrow(DurationError);
  });
});

describe('formatDuration', () => {
  it.each([
    [900_000, '15m'],
    [90_000, '90s'],
    [1_500, '1500ms'],
    [0, '0ms'],
    [86_400_000, '1d'],
    [7_200_000, '2h'],
  ])('%d ms is %s, which parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

function catchDurationError(run: () => unknown): DurationError {
  try {
    run();
  } catch (error) {
    if (error instanceof DurationError) return error;
    throw error;
  }
  throw new Error('expected a DurationError');
}

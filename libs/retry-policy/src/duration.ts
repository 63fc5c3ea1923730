/** The contract's default `RETRY_SCHEDULE`: nine attempts over about 23 hours. */
export const DEFAULT_RETRY_SCHEDULE = '15s,1m,5m,30m,1h,3h,6h,12h';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * The longest duration accepted anywhere (requests, configuration): 365 days. Durations become
 * times (`now + delay`), and a JavaScript Date ends about 1e8 days after 1970: a delay near that
 * made an Invalid Date, stored as the epoch, so the "retry in 100000000d" happened at once.
 */
export const MAX_DURATION_MS = 365 * UNIT_MS.d;
const TOO_LONG = 'is longer than the longest duration accepted, 365d';

// Digits before the point are required (".5s" is refused) and units are lower-case only, so
// "1M" can never be mistaken for a month.
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const BARE_NUMBER_PATTERN = /^\d+(?:\.\d+)?$/;

const ACCEPTED = 'use milliseconds (a number) or a number with a unit ms, s, m, h or d ("15s")';
const QUOTED_INPUT_MAX = 40;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

export function parseDuration(input: unknown): number {
  if (typeof input === 'number') return parseMilliseconds(input);
  if (typeof input === 'string') return parseDurationString(input);
  throw new DurationError(`${describe(input)} is not a duration: ${ACCEPTED}`);
}

/** The inverse of parseDuration for display: the largest unit that divides it (900000 -> 15m). */
export function formatDuration(ms: number): string {
  const units = ['d', 'h', 'm', 's'] as const;
  const unit = units.find((name) => ms >= UNIT_MS[name] && ms % UNIT_MS[name] === 0);
  return unit === undefined ? `${ms}ms` : `${ms / UNIT_MS[unit]}${unit}`;
}

/** Parses a comma-separated list such as `RETRY_SCHEDULE`; an empty string is an empty list. */
export function parseDurationList(csv: string): number[] {
  if (csv.trim() === '') return [];
  return csv.split(',').map((entry, index) => parseListEntry(entry.trim(), index + 1, csv));
}

function parseListEntry(entry: string, position: number, csv: string): number {
  if (entry === '') {
    throw new DurationError(
      `entry ${position} of ${quote(csv)} is empty: separate durations with single commas ("15s,1m,5m")`,
    );
  }
  try {
    return parseDurationString(entry);
  } catch (error) {
    if (error instanceof DurationError) {
      throw new DurationError(`entry ${position}: ${error.message}`);
    }
    throw error;
  }
}

function parseMilliseconds(ms: number): number {
  if (Number.isSafeInteger(ms) && ms > MAX_DURATION_MS) {
    throw new DurationError(`${describe(ms)} ${TOO_LONG}`);
  }
  if (Number.isSafeInteger(ms) && ms >= 0) return ms;
  throw new DurationError(
    `${describe(ms)} is not a duration: milliseconds must be a whole number, 0 or more (or use a string with a unit ms, s, m, h or d: "15s")`,
  );
}

function parseDurationString(raw: string): number {
  const text = raw.trim();
  const match = DURATION_PATTERN.exec(text);
  if (match === null) throw new DurationError(stringProblem(raw, text));
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  if (!Number.isSafeInteger(ms)) {
    throw new DurationError(`${quote(raw)} is too long to be a duration: ${ACCEPTED}`);
  }
  if (ms > MAX_DURATION_MS) throw new DurationError(`${quote(raw)} ${TOO_LONG}`);
  return ms;
}

function stringProblem(raw: string, text: string): string {
  if (text === '') return `an empty string is not a duration: ${ACCEPTED}`;
  if (BARE_NUMBER_PATTERN.test(text)) {
    return `${quote(raw)} has no unit: write "${text}ms" for milliseconds, or use another unit s, m, h or d ("15s")`;
  }
  return `${quote(raw)} is not a duration: ${ACCEPTED}`;
}

function describe(input: unknown): string {
  if (typeof input === 'string') return quote(input);
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return typeof input === 'object' ? 'an object' : typeof input;
}

// Error messages end up in API responses and boot logs, so a huge input is cut short.
function quote(text: string): string {
  const shown = text.length > QUOTED_INPUT_MAX ? `${text.slice(0, QUOTED_INPUT_MAX)}...` : text;
  return JSON.stringify(shown);
}

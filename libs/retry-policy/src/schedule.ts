import { MAX_DURATION_MS } from './duration';

/** Each retry waits its scheduled delay plus or minus this fraction of it. */
export const JITTER_RATIO = 0.1;

/**
 * Longest wait a `Retry-After` header can impose. Without a cap one recipient answering
 * `Retry-After: 99999999` would park a delivery for years: pending forever, never `failed`,
 * never recovered. A day is the order of the whole default schedule (about 23 hours).
 */
export const MAX_RETRY_AFTER_MS = 86_400_000;

export interface RetryPlanInput {
  /** Delays in ms between attempts after the first, immediate one. */
  schedule: readonly number[];
  /** Attempts already made, the immediate one included. */
  attemptsMade: number;
  now: Date;
  /** Uniform in [0, 1), like `Math.random`. */
  random: () => number;
  /** The recipient's `Retry-After`, in ms: the next attempt waits at least this long. */
  notBeforeMs?: number;
}

const DELAY_SECONDS_PATTERN = /^\d+$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// The three HTTP-date forms RFC 9110 section 5.6.7 obliges recipients to accept, all in GMT.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

export function maxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}

/**
 * Delay before the next attempt, or null when the schedule is exhausted. With no attempt made
 * yet the next one is the immediate first attempt, so the delay is 0.
 */
export function nextRetryDelay(schedule: readonly number[], attemptsMade: number): number | null {
  if (!Number.isSafeInteger(attemptsMade) || attemptsMade < 0) {
    throw new RangeError(`attemptsMade must be a whole number, 0 or more; got ${attemptsMade}`);
  }
  if (attemptsMade === 0) return 0;
  return schedule[attemptsMade - 1] ?? null;
}

export function applyJitter(delayMs: number, random: () => number): number {
  const spread = (2 * clampUnit(random()) - 1) * JITTER_RATIO;
  return Math.max(0, Math.round(delayMs * (1 + spread)));
}

/**
 * When to make the next attempt, or null when the schedule is exhausted. Always a valid Date: a
 * delay is taken as at most MAX_DURATION_MS (schedules stored before durations were bounded may
 * hold more) and `notBeforeMs` as at most MAX_RETRY_AFTER_MS, whatever a channel reports.
 */
export function planRetry(input: RetryPlanInput): Date | null {
  const delay = nextRetryDelay(input.schedule, input.attemptsMade);
  if (delay === null) return null;
  const scheduled = applyJitter(Math.min(delay, MAX_DURATION_MS), input.random);
  const wait = Math.min(Math.max(scheduled, boundedNotBefore(input.notBeforeMs)), MAX_DURATION_MS);
  return new Date(input.now.getTime() + wait);
}

function boundedNotBefore(ms: number | undefined): number {
  if (ms === undefined || Number.isNaN(ms)) return 0;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/**
 * `Retry-After` as ms from `now` (0 for a date in the past), or undefined when absent or not
 * one of the forms HTTP allows. Capped at MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  const value = header?.trim();
  if (value === undefined || value === '') return undefined;
  const ms = DELAY_SECONDS_PATTERN.test(value)
    ? Number(value) * 1000
    : untilHttpDate(value, now.getTime());
  return ms === undefined ? undefined : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

function untilHttpDate(value: string, nowMs: number): number | undefined {
  const at = parseHttpDate(value, new Date(nowMs).getUTCFullYear());
  return at === undefined ? undefined : at - nowMs;
}

type DateFields = [
  year: number,
  month: number,
  day: number,
  hours: number,
  minutes: number,
  seconds: number,
];

// Date.parse is not used: it reads "1.5" as a date in 2001 and asctime as local time.
function parseHttpDate(value: string, currentYear: number): number | undefined {
  const fields = imfFixdate(value) ?? rfc850Date(value, currentYear) ?? asctimeDate(value);
  return fields === undefined ? undefined : toUtcMs(fields);
}

function imfFixdate(value: string): DateFields | undefined {
  const m = IMF_FIXDATE.exec(value);
  return m ? [Number(m[3]), monthIndex(m[2]!), Number(m[1]), ...clock(m, 4)] : undefined;
}

function rfc850Date(value: string, currentYear: number): DateFields | undefined {
  const m = RFC850_DATE.exec(value);
  if (!m) return undefined;
  return [fullYear(Number(m[3]), currentYear), monthIndex(m[2]!), Number(m[1]), ...clock(m, 4)];
}

function asctimeDate(value: string): DateFields | undefined {
  const m = ASCTIME_DATE.exec(value);
  return m ? [Number(m[6]), monthIndex(m[1]!), Number(m[2]), ...clock(m, 3)] : undefined;
}

function clock(match: RegExpExecArray, from: number): [number, number, number] {
  return [Number(match[from]), Number(match[from + 1]), Number(match[from + 2])];
}

function monthIndex(name: string): number {
  return MONTHS.indexOf(name);
}

// RFC 9110: a two-digit year that looks more than 50 years ahead is in the previous century.
function fullYear(twoDigits: number, currentYear: number): number {
  const year = currentYear - (currentYear % 100) + twoDigits;
  return year > currentYear + 50 ? year - 100 : year;
}

function toUtcMs(fields: DateFields): number | undefined {
  const [year, month, day, hours, minutes, seconds] = fields;
  // setUTCFullYear rather than Date.UTC, which turns years 0-99 into 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hours, minutes, seconds, 0);
  // Out-of-range fields roll over ("31 Feb" becomes 3 Mar, 24:00 the next day): refuse them.
  const back: DateFields = [
    date.getUTCFullYear(),
    date.getUTCMonth(),
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  return back.every((field, index) => field === fields[index]) ? date.getTime() : undefined;
}

function clampUnit(value: number): number {
  return Number.isNaN(value) ? 0.5 : Math.min(Math.max(value, 0), 1);
}

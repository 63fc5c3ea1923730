/**
 * Event type names and the rule that matches them to endpoints' `eventTypes`. No zod here: the
 * console bundles this file as a value, to show which endpoints subscribe to an event type.
 */
import { isPlatformEventType } from './platform-event-types';

/** Event types: dot-separated segments of `[A-Za-z0-9_-]`, 1 to 128 characters in all. */
export const EVENT_TYPE_PATTERN = /^(?=.{1,128}$)[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Endpoint `eventTypes` entries: an event type in which any whole segment may be `*`.
 * `"*"` alone matches every event type, a trailing `*` matches one or more segments
 * (`order.*` matches `order.paid` and `order.refund.partial`, not `order`), and any other
 * `*` exactly one (`order.*.failed`). A `*` inside a segment (`ord*`) is not allowed.
 */
export const EVENT_TYPE_FILTER_PATTERN =
  /^(?=.{1,128}$)(?:[A-Za-z0-9_-]+|\*)(?:\.(?:[A-Za-z0-9_-]+|\*))*$/;

export const MATCH_ALL_EVENT_TYPES = '*';

const STAR = 42;

/**
 * Whether any of the filters selects the event type (see EVENT_TYPE_FILTER_PATTERN). A platform
 * event type (PLATFORM_EVENT_TYPES) is selected only by a filter that names it exactly: no
 * wildcard matches it, so an endpoint never receives one it did not ask for.
 */
export function matchesEventType(filters: readonly string[], eventType: string): boolean {
  if (isPlatformEventType(eventType)) return filters.includes(eventType);
  for (const filter of filters) {
    if (matchesFilter(filter, eventType)) return true;
  }
  return false;
}

// Runs per endpoint per message, so it walks both strings in place instead of splitting them.
function matchesFilter(filter: string, eventType: string): boolean {
  let f = 0;
  let e = 0;
  for (;;) {
    const filterEnd = segmentEnd(filter, f);
    const typeEnd = segmentEnd(eventType, e);
    const lastOfFilter = filterEnd === filter.length;
    if (isWildcard(filter, f, filterEnd)) {
      if (typeEnd === e) return false;
      if (lastOfFilter) return true;
    } else if (!sameSegment(filter, f, filterEnd, eventType, e, typeEnd)) {
      return false;
    }
    const lastOfType = typeEnd === eventType.length;
    if (lastOfFilter || lastOfType) return lastOfFilter && lastOfType;
    f = filterEnd + 1;
    e = typeEnd + 1;
  }
}

function segmentEnd(text: string, start: number): number {
  const dot = text.indexOf('.', start);
  return dot < 0 ? text.length : dot;
}

function isWildcard(filter: string, start: number, end: number): boolean {
  return end - start === 1 && filter.charCodeAt(start) === STAR;
}

function sameSegment(
  filter: string,
  fStart: number,
  fEnd: number,
  eventType: string,
  eStart: number,
  eEnd: number,
): boolean {
  if (fEnd - fStart !== eEnd - eStart) return false;
  for (let i = 0; i < fEnd - fStart; i += 1) {
    if (filter.charCodeAt(fStart + i) !== eventType.charCodeAt(eStart + i)) return false;
  }
  return true;
}

/** Ids a line about a batch lists at most, per list; `count` says how many there were. */
export const MAX_LOGGED_IDS = 20;

/**
 * The ids of a batch as fields of its log line, e.g. `{ deliveryIds, messageIds, count }`: each
 * list without repeats and cut to its first MAX_LOGGED_IDS, `count` the longest list's length
 * before the cut (the batch's size when one of them has an id per item).
 */
export function batchIds<K extends string>(
  lists: Record<K, readonly string[]>,
): Record<K, string[]> & { count: number } {
  let count = 0;
  const fields: Partial<Record<K, string[]>> = {};
  for (const key of Object.keys(lists) as K[]) {
    const ids = [...new Set(lists[key])];
    count = Math.max(count, ids.length);
    fields[key] = ids.slice(0, MAX_LOGGED_IDS);
  }
  return { ...(fields as Record<K, string[]>), count };
}

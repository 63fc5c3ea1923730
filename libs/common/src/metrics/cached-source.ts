/**
 * A value that is costly to read (a count over a collection), read at most once per `maxAgeMs`
 * however often it is asked for: scrapes within that age, and scrapes at the same time, share one
 * read. A failed read is not kept: the next call tries again.
 */
export function cachedSource(
  read: () => Promise<number>,
  maxAgeMs: number,
  now: () => number = Date.now,
): () => Promise<number> {
  let cached: { value: Promise<number>; readAt: number } | undefined;
  return () => {
    if (cached !== undefined && now() - cached.readAt < maxAgeMs) return cached.value;
    const value = read();
    const entry = { value, readAt: now() };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
}

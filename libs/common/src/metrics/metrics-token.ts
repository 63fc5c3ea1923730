import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a scrape may read /metrics: always when no METRICS_TOKEN is set, otherwise only with
 * `Authorization: Bearer <METRICS_TOKEN>` (compared as digests: constant time, whatever the length).
 */
export function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const offered = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (offered === null) return false;
  return timingSafeEqual(digest(offered[1]!), digest(token));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

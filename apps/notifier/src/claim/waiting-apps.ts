/**
 * The apps a claim did not serve fully: read up to their room (more may be due), or with a
 * delivery it could not take; and those left out for want of room that were waiting before.
 */
export function waitingApps(
  stats: { appsWithMore: readonly string[] },
  excludedApps: readonly string[],
  leftApps: ReadonlySet<string>,
  waitingBefore: readonly string[],
): Set<string> {
  const before = new Set(waitingBefore);
  return new Set([
    ...stats.appsWithMore,
    ...leftApps,
    ...excludedApps.filter((appId) => before.has(appId)),
  ]);
}

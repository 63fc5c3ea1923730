import type { FilterQuery } from 'mongoose';

/**
 * Every tenant query names its app: the type makes `appId` a required key of the filter, so a
 * query that forgets it does not compile.
 */
export type AppScoped<T> = FilterQuery<T> & { appId: string };

/** A tenant document's id, with the app it must belong to (say a delivery's appId and messageId). */
export interface AppScopedId {
  appId: string;
  id: string;
}

/**
 * The documents with these ids, each only if it belongs to the app given with it: one branch per
 * app, each served by the _id index. `refs` must not be empty.
 */
export function ofTheirApps(
  refs: readonly AppScopedId[],
): FilterQuery<{ _id: string; appId: string }> {
  const idsByApp = new Map<string, Set<string>>();
  for (const { appId, id } of refs) {
    const ids = idsByApp.get(appId);
    if (ids === undefined) idsByApp.set(appId, new Set([id]));
    else ids.add(id);
  }
  const branches = [...idsByApp].map(([appId, ids]) => ({ appId, _id: { $in: [...ids] } }));
  return branches.length === 1 ? branches[0]! : { $or: branches };
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

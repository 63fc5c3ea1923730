import type { FilterQuery } from 'mongoose';

/**
 * Every tenant query names its app: the type makes `appId` a required key of the filter, so a
 * query that forgets it does not compile.
 */
export type AppScoped<T> = FilterQuery<T> & { appId: string };

export interface PageRequest {
  limit: number;
  cursor?: string;
}

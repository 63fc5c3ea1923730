import type { Page } from '@app/contracts';
import { useState } from 'react';
import { useLoad } from './use-load';

export interface CursorList<T> {
  /** Every item of the pages read so far. */
  items: T[];
  /** The first page has answered at least once. */
  loaded: boolean;
  loading: boolean;
  error: unknown;
  /** Why the last "more" failed, until a refresh. */
  moreError: unknown;
  hasMore: boolean;
  loadMore: () => Promise<void>;
  /** Reads the first page again and forgets the others. */
  refresh: () => void;
}

/**
 * A list the API pages with a cursor: the first page on mount (and when `loadPage` changes: wrap
 * it in useCallback), the next ones on loadMore().
 */
export function useCursorList<T>(loadPage: (cursor?: string) => Promise<Page<T>>): CursorList<T> {
  const [pages, setPages] = useState<Page<T>[]>([]);
  const [moreError, setMoreError] = useState<unknown>();
  const first = useLoad(loadPage);
  const all = [first.data, ...pages].filter((p): p is Page<T> => p !== undefined);
  const nextCursor = all.at(-1)?.nextCursor ?? null;

  const loadMore = async () => {
    if (nextCursor === null) return;
    try {
      const page = await loadPage(nextCursor);
      setPages((list) => [...list, page]);
    } catch (error) {
      setMoreError(error);
    }
  };
  const refresh = () => {
    setPages([]);
    setMoreError(undefined);
    first.reload();
  };
  return {
    items: all.flatMap((p) => p.data),
    loaded: first.data !== undefined,
    loading: first.loading,
    error: first.error,
    moreError,
    hasMore: nextCursor !== null,
    loadMore,
    refresh,
  };
}

import type { Page } from '@app/contracts';

/** `limit` and `cursor` of a list route. */
export interface PageQuery {
  limit?: number;
  cursor?: string | undefined;
}

/** Every item of a list, asking page after page until `nextCursor` is null. */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.data);
    cursor = next.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

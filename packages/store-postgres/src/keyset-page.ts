import type { Row } from './db.js';
import { str } from './row-mapping.js';

/**
 * A newest-first page from rows read with `LIMIT limit + 1` ordered by `seq` descending:
 * the first `limit` rows as items, and the last one's `seq` as `nextCursor` when the extra
 * row shows that more follow.
 */
export function newestFirstPage<T>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => T,
): { items: T[]; nextCursor?: string } {
  const page = rows.slice(0, limit);
  const result: { items: T[]; nextCursor?: string } = { items: page.map(toItem) };
  if (rows.length > limit) result.nextCursor = str(page[page.length - 1]!, 'seq');
  return result;
}

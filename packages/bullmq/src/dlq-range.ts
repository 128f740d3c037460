import { DLQ_PAGE, type DLQItem, type ExecutionStore, type TenantScope } from '@spane/core/store';

/**
 * The dead-letter items of a tenant from `start` to `end` (inclusive indexes, newest first;
 * a negative `end` counts from the last item, as in BullMQ's `getJobs`), read from the
 * store's cursor pages: only as many pages as the range needs (all of them for a negative
 * `end`).
 */
export async function dlqRange(
  store: Pick<ExecutionStore, 'listDLQItems'>,
  start: number,
  end: number,
  scope: TenantScope,
): Promise<DLQItem[]> {
  const from = Math.max(0, Math.floor(start));
  const wanted = end >= 0 ? Math.floor(end) + 1 : Number.POSITIVE_INFINITY;
  if (wanted <= from) return [];
  const items: DLQItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listDLQItems({
      tenantId: scope.tenantId,
      limit: DLQ_PAGE.maxLimit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && items.length < wanted);
  return items.slice(from, end >= 0 ? wanted : items.length + end + 1);
}

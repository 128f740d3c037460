import type { ExecutionStore, ExecutionSummary } from '@spane/core';

/**
 * The unfinished child executions (sub-workflows) of an execution, page by page over the
 * store's cursor.
 */
export async function* unfinishedChildren(
  store: Pick<ExecutionStore, 'listExecutions'>,
  parent: { executionId: string; tenantId: string },
): AsyncGenerator<ExecutionSummary[]> {
  let cursor: string | undefined;
  do {
    const page = await store.listExecutions({
      tenantId: parent.tenantId,
      parentExecutionId: parent.executionId,
      status: ['pending', 'running', 'paused'],
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    cursor = page.nextCursor;
    yield page.items;
  } while (cursor !== undefined);
}

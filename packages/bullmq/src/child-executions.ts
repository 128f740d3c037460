import type { ExecutionStatus, ExecutionStore, ExecutionSummary } from '@spane/core';

/**
 * The child executions (sub-workflows, map items) of an execution, page by page over the
 * store's cursor, newest first; only those in `status` when given.
 */
export async function* childExecutions(
  store: Pick<ExecutionStore, 'listExecutions'>,
  parent: { executionId: string; tenantId: string },
  status?: ExecutionStatus[],
): AsyncGenerator<ExecutionSummary[]> {
  let cursor: string | undefined;
  do {
    const page = await store.listExecutions({
      tenantId: parent.tenantId,
      parentExecutionId: parent.executionId,
      ...(status === undefined ? {} : { status }),
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    cursor = page.nextCursor;
    yield page.items;
  } while (cursor !== undefined);
}

/**
 * The unfinished child executions (sub-workflows) of an execution, page by page over the
 * store's cursor.
 */
export function unfinishedChildren(
  store: Pick<ExecutionStore, 'listExecutions'>,
  parent: { executionId: string; tenantId: string },
): AsyncGenerator<ExecutionSummary[]> {
  return childExecutions(store, parent, ['pending', 'running', 'paused']);
}

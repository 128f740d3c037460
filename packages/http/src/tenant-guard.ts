import {
  type DLQItem,
  DLQItemNotFoundError,
  ExecutionNotFoundError,
  type ExecutionState,
  type IWorkflowEngine,
} from '@spane/core';

const DLQ_PAGE = 500;

/**
 * The execution, when it belongs to `tenantId`. Another tenant's execution answers
 * exactly like a missing one, so ids never reveal that they exist elsewhere.
 * @throws ExecutionNotFoundError
 */
export async function executionOfTenant(
  engine: IWorkflowEngine,
  executionId: string,
  tenantId: string,
): Promise<ExecutionState> {
  const state = await engine.getExecution(executionId);
  if (!state || state.tenantId !== tenantId) throw new ExecutionNotFoundError(executionId);
  return state;
}

/**
 * The dead-letter item, when it belongs to `tenantId` (searched in the tenant's own
 * items, page by page, since the engine interface has no lookup by id).
 * @throws DLQItemNotFoundError
 */
export async function dlqItemOfTenant(
  engine: IWorkflowEngine,
  itemId: string,
  tenantId: string,
): Promise<DLQItem> {
  for (let start = 0; ; start += DLQ_PAGE) {
    const page = await engine.getDLQItems(start, start + DLQ_PAGE - 1, { tenantId });
    const found = page.find((item) => item.id === itemId);
    if (found) return found;
    if (page.length < DLQ_PAGE) throw new DLQItemNotFoundError(itemId);
  }
}

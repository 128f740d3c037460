import {
  ExecutionNotFoundError,
  type ExecutionState,
  type IWorkflowEngine,
  type TenantScope,
} from '@spane/core';

/**
 * The whole state of the caller's execution. The engine treats another tenant's id as a
 * missing one, so ids never reveal that they exist elsewhere.
 * @throws ExecutionNotFoundError
 */
export async function requireExecution(
  engine: Pick<IWorkflowEngine, 'getExecution'>,
  executionId: string,
  scope: TenantScope,
): Promise<ExecutionState> {
  const state = await engine.getExecution(executionId, scope);
  if (!state) throw new ExecutionNotFoundError(executionId);
  return state;
}

import {
  assertStatusChange,
  type ExecutionStatus,
  isTerminalStatus,
  type SetStatusOptions,
  statusChangeEffects,
  VersionConflictError,
} from '@spane/core/store';
import type { ExecutionRecord } from './execution-records.js';
import { copy } from './json-copy.js';

/**
 * Moves an execution to a terminal status and cancels its unfinished nodes. The caller
 * hands the execution to retention, which may evict it.
 */
export function finishExecution(
  record: ExecutionRecord,
  status: ExecutionStatus,
  now: string,
  error?: string,
): void {
  const { state } = record;
  state.status = status;
  state.completedAt = now;
  state.version += 1;
  if (error !== undefined) state.error = error;
  const { cancelsNode } = statusChangeEffects(status);
  for (const [id, node] of Object.entries(state.nodeResults)) {
    if (cancelsNode(node.status)) {
      node.status = 'cancelled';
      node.finishedAt = now;
      record.tokens.release(id);
    }
  }
}

/** Throws {@link VersionConflictError} when `expectedVersion` is given and is not the record's. */
function checkVersion(record: ExecutionRecord, expectedVersion: number | undefined): void {
  const { state } = record;
  if (expectedVersion !== undefined && expectedVersion !== state.version) {
    throw new VersionConflictError(state.executionId, expectedVersion, state.version);
  }
}

/**
 * Applies `setExecutionStatus`: checks the version and the transition, then moves the
 * execution. Returns true when the new status is terminal (the caller hands the execution
 * to retention).
 * @param now - the time, as ISO-8601 text.
 */
export function changeExecutionStatus(
  record: ExecutionRecord,
  status: ExecutionStatus,
  options: SetStatusOptions,
  now: () => string,
): boolean {
  const { state } = record;
  checkVersion(record, options.expectedVersion);
  assertStatusChange(state.status, status);
  const at = now();
  if (isTerminalStatus(status)) {
    finishExecution(record, status, at, options.error);
    return true;
  }
  state.status = status;
  if (status === 'running' && state.startedAt === undefined) state.startedAt = at;
  if (options.error !== undefined) state.error = options.error;
  state.version += 1;
  return false;
}

/** Merges `patch` into the metadata after checking the version. */
export function patchMetadata(
  record: ExecutionRecord,
  patch: Record<string, unknown>,
  expectedVersion: number | undefined,
): void {
  const { state } = record;
  checkVersion(record, expectedVersion);
  state.metadata = { ...state.metadata, ...copy(patch) };
  state.version += 1;
}

/**
 * Applies `retryFailedNode`: requeues the failed node and every cancelled one (held by no
 * run) and runs the execution again. Null when the execution is not failed or the node is not its failure
 * (the caller takes a reopened execution back from retention).
 */
export function reopenFailedNode(
  record: ExecutionRecord,
  nodeId: string,
): { ready: string[] } | null {
  const { state } = record;
  const node = state.nodeResults[nodeId];
  if (state.status !== 'failed' || !node || node.status !== 'failed' || node.continuedOnFail)
    return null;
  const ready = [nodeId];
  for (const [id, n] of Object.entries(state.nodeResults)) {
    if (n.status === 'cancelled') ready.push(id);
  }
  for (const id of ready) {
    const n = state.nodeResults[id]!;
    n.status = 'queued';
    delete n.finishedAt;
    delete n.error;
    record.tokens.release(id);
  }
  state.status = 'running';
  delete state.error;
  delete state.completedAt;
  state.version += 1;
  return { ready };
}

import {
  applyNodeOutcome,
  type BeginNodeRunResult,
  type CompleteNodeResult,
  isFinalNodeStatus,
  isInFlightNodeStatus,
  isSettled,
  isTerminalStatus,
  type NodeOutcome,
  resolveNodeInput,
  type SettledNode,
  toJsonText,
  type WorkflowPlan,
} from '@spane/core/store';
import { type ExecutionRecord, withData } from './execution-records.js';
import { finishExecution } from './execution-transitions.js';
import { copy } from './json-copy.js';

/**
 * Applies `beginNodeRun` to an execution: starts the run of a queued (or started) node and
 * returns its input.
 * @param now - the time, as ISO-8601 text.
 */
export function beginRun(
  record: ExecutionRecord,
  plan: WorkflowPlan,
  nodeId: string,
  attempt: number | undefined,
  now: () => string,
): BeginNodeRunResult {
  const { state } = record;
  if (state.status !== 'pending' && state.status !== 'running') {
    return { started: false, reason: 'execution-not-active', executionStatus: state.status };
  }
  const node = state.nodeResults[nodeId];
  if (!node || !isInFlightNodeStatus(node.status)) {
    const result: BeginNodeRunResult = {
      started: false,
      reason: 'node-not-runnable',
      executionStatus: state.status,
    };
    if (node) result.nodeStatus = node.status;
    return result;
  }
  const at = now();
  node.status = 'running';
  node.attempts = attempt ?? node.attempts + 1;
  node.startedAt = at;
  if (state.status === 'pending') {
    state.status = 'running';
    state.startedAt = at;
    state.version += 1;
  }
  // Fresh objects only: parents' outputs are parsed from their text, and an entry node's
  // input is this copy of the initial data (one object, as the PostgreSQL store returns).
  const initialData = copy(state.initialData);
  const input = resolveNodeInput(plan, nodeId, (id) => withData(record, id), initialData);
  const result: BeginNodeRunResult = {
    started: true,
    attempt: node.attempts,
    inputData: input.inputData,
    previousResults: input.previousResults,
    initialData,
    tenantId: state.tenantId,
    depth: state.depth,
  };
  if (state.parentExecutionId !== undefined) result.parentExecutionId = state.parentExecutionId;
  if (state.priority !== undefined) result.priority = state.priority;
  return result;
}

/**
 * Applies `completeNode` to an execution (the outcome only, no telemetry): records it,
 * settles what it settles, queues the ready children or starts those named in `start`, and
 * finishes the execution when it is done. `result.finished` tells the caller to hand the
 * execution to retention.
 * @param now - the time, as ISO-8601 text.
 */
export function completeRun(
  record: ExecutionRecord,
  plan: WorkflowPlan,
  nodeId: string,
  outcome: NodeOutcome,
  start: readonly string[] | undefined,
  now: () => string,
): CompleteNodeResult {
  const { state } = record;
  const node = state.nodeResults[nodeId];
  if (
    isTerminalStatus(state.status) ||
    !node ||
    isSettled(node.status) ||
    node.status === 'cancelled'
  ) {
    return {
      recorded: false,
      ready: [],
      skipped: [],
      executionStatus: state.status,
      finished: false,
    };
  }
  // Serialized before anything changes: an output JSON cannot hold fails the call cleanly.
  const data =
    outcome.type === 'skipped' || outcome.data === undefined
      ? undefined
      : toJsonText(outcome.data, `data of node '${nodeId}'`);
  const t = applyNodeOutcome(
    plan,
    (id) => state.nodeResults[id],
    nodeId,
    outcome,
    record.remaining,
    record.openParents,
  );
  record.openParents.record(t);
  const at = now();
  settle(record, t.settled, at);
  if (data !== undefined) record.data.set(nodeId, data);
  if (outcome.type === 'completed') {
    if (outcome.nextNodes !== undefined) node.nextNodes = [...outcome.nextNodes];
    delete node.error;
  } else if (outcome.type === 'failed') {
    node.error = outcome.error;
  }
  const started = queueOrStart(record, t.ready, start, at);
  record.remaining = t.remaining;
  let finished = false;
  if (t.status === 'completed') {
    finishExecution(record, 'completed', at);
    finished = true;
  } else if (t.status === 'failed') {
    const error = outcome.type === 'failed' ? outcome.error : '';
    finishExecution(record, 'failed', at, `Node '${nodeId}' failed: ${error}`);
    finished = true;
  }
  const result: CompleteNodeResult = {
    recorded: true,
    ready: [...t.ready],
    skipped: t.skipped,
    executionStatus: state.status,
    finished,
  };
  if (start !== undefined) result.started = started;
  return result;
}

/** Writes the statuses of the nodes a transition settled. */
function settle(record: ExecutionRecord, settled: readonly SettledNode[], now: string): void {
  for (const s of settled) {
    const n = record.state.nodeResults[s.nodeId]!;
    n.status = s.status;
    n.finishedAt = now;
    if (s.skipReason !== undefined) n.skipReason = s.skipReason;
    if (s.continuedOnFail) n.continuedOnFail = true;
  }
}

/** Starts the ready nodes named in `start` (unless paused), queues the others; returns the started. */
function queueOrStart(
  record: ExecutionRecord,
  ready: readonly string[],
  start: readonly string[] | undefined,
  now: string,
): string[] {
  const { state } = record;
  const started: string[] = [];
  for (const id of ready) {
    const node = state.nodeResults[id]!;
    // A paused execution's ready nodes wait for its resume.
    if (state.status !== 'paused' && start?.includes(id)) {
      node.status = 'running';
      node.attempts = 1;
      node.startedAt = now;
      started.push(id);
    } else {
      node.status = 'queued';
    }
  }
  return started;
}

/** Applies `setNodeStatus`: false when the execution is finished or the node final or unknown. */
export function setWaitStatus(
  record: ExecutionRecord,
  nodeId: string,
  status: 'queued' | 'delayed' | 'waiting',
  error: string | undefined,
): boolean {
  const node = record.state.nodeResults[nodeId];
  if (!node || isTerminalStatus(record.state.status)) return false;
  if (isFinalNodeStatus(node.status)) return false;
  node.status = status;
  if (error !== undefined) node.error = error;
  return true;
}

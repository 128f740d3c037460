import {
  applyNodeOutcome,
  type BeginNodeRunResult,
  type CompleteNodeOptions,
  type CompleteNodeResult,
  type ExecutionStatus,
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
 * returns its input. With `runToken` the run holds the node (fencing): a node already
 * running (or delayed: a delay node's wake) under that token is returned with its attempt;
 * any other gets an attempt past its last. Without, the node is held by no token.
 * @param now - the time, as ISO-8601 text.
 */
export function beginRun(
  record: ExecutionRecord,
  plan: WorkflowPlan,
  nodeId: string,
  attempt: number | undefined,
  runToken: string | undefined,
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
  const sameRun =
    runToken !== undefined &&
    (node.status === 'running' || node.status === 'delayed') &&
    record.tokens.holder(nodeId) === runToken;
  if (sameRun) {
    node.status = 'running';
  } else {
    const next = node.attempts + 1;
    // A run with a token never reuses an earlier run's number (one that crashed, or
    // still runs without its lock). A queued node is the exception: queued again before it
    // ran (its job parked by a pause), it keeps the number it was started with.
    const past = runToken !== undefined && node.status !== 'queued';
    node.attempts = past ? Math.max(attempt ?? next, next) : (attempt ?? next);
    const at = now();
    node.status = 'running';
    node.startedAt = at;
    record.tokens.hold(nodeId, runToken);
    if (state.status === 'pending') {
      state.status = 'running';
      state.startedAt = at;
      state.version += 1;
    }
  }
  return startedRun(record, plan, nodeId, node.attempts);
}

/** The result of a run that started (or was found started): its input and the execution's fields. */
function startedRun(
  record: ExecutionRecord,
  plan: WorkflowPlan,
  nodeId: string,
  attempt: number,
): BeginNodeRunResult {
  const { state } = record;
  // Fresh objects only: parents' outputs are parsed from their text, and an entry node's
  // input is this copy of the initial data (one object, as the PostgreSQL store returns).
  const initialData = copy(state.initialData);
  const input = resolveNodeInput(plan, nodeId, (id) => withData(record, id), initialData);
  const result: BeginNodeRunResult = {
    started: true,
    attempt,
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
 * execution to retention. With `options.runToken`, a node another run holds is not touched
 * (`fenced: true`).
 * @param now - the time, as ISO-8601 text.
 */
export function completeRun(
  record: ExecutionRecord,
  plan: WorkflowPlan,
  nodeId: string,
  outcome: NodeOutcome,
  options: CompleteNodeOptions,
  now: () => string,
): CompleteNodeResult {
  const { state } = record;
  const { start, runToken } = options;
  const node = state.nodeResults[nodeId];
  if (
    isTerminalStatus(state.status) ||
    !node ||
    isSettled(node.status) ||
    node.status === 'cancelled'
  ) {
    return notRecorded(state.status);
  }
  if (record.tokens.fences(nodeId, runToken)) return { ...notRecorded(state.status), fenced: true };
  // Serialized before anything changes: an output JSON cannot hold fails the call cleanly.
  const data =
    outcome.type === 'skipped' || outcome.data === undefined
      ? undefined
      : (options.dataText ?? toJsonText(outcome.data, `data of node '${nodeId}'`));
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
  const started = queueOrStart(record, t.ready, options, at);
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

/** The result of a completion that records nothing. */
function notRecorded(executionStatus: ExecutionStatus): CompleteNodeResult {
  return { recorded: false, ready: [], skipped: [], executionStatus, finished: false };
}

/** Writes the statuses of the nodes a transition settled (no run holds them any more). */
function settle(record: ExecutionRecord, settled: readonly SettledNode[], now: string): void {
  for (const s of settled) {
    const n = record.state.nodeResults[s.nodeId]!;
    record.tokens.release(s.nodeId);
    n.status = s.status;
    n.finishedAt = now;
    if (s.skipReason !== undefined) n.skipReason = s.skipReason;
    if (s.continuedOnFail) n.continuedOnFail = true;
  }
}

/**
 * Starts the ready nodes named in `start` (unless paused), each held by the derived token of
 * `runToken`; queues the others. Returns the started.
 */
function queueOrStart(
  record: ExecutionRecord,
  ready: readonly string[],
  { start, runToken }: CompleteNodeOptions,
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
      record.tokens.holdStarted(id, runToken);
      started.push(id);
    } else {
      node.status = 'queued';
      record.tokens.release(id);
    }
  }
  return started;
}

/**
 * Applies `setNodeStatus`: false when the execution is finished, the node final or unknown,
 * or held by another run than `runToken`. A `delayed` or `waiting` node keeps its holder; a
 * `queued` one is held by no run.
 */
export function setWaitStatus(
  record: ExecutionRecord,
  nodeId: string,
  status: 'queued' | 'delayed' | 'waiting',
  options: { error?: string; runToken?: string },
): boolean {
  const node = record.state.nodeResults[nodeId];
  if (!node || isTerminalStatus(record.state.status)) return false;
  if (isFinalNodeStatus(node.status)) return false;
  if (record.tokens.fences(nodeId, options.runToken)) return false;
  node.status = status;
  if (status === 'queued') record.tokens.release(nodeId);
  if (options.error !== undefined) node.error = options.error;
  return true;
}

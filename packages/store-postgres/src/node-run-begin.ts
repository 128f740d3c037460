import type { WorkflowPlan } from '@spane/core';
import {
  type BeginNodeRunResult,
  type ExecutionStatus,
  type NodeStatus,
  type ParentResult,
  resolveNodeInput,
} from '@spane/core/store';
import type { Batcher } from './batcher.js';
import { integer, runTokenArgument } from './call-arguments.js';
import type { Database, Row } from './db.js';
import type { HotStatements } from './hot-statements.js';
import { opt, parseJson, str, toSnapshot } from './row-mapping.js';
import { checkText } from './sql.js';

// `beginNodeRun`: a node run starts with the begins in flight with it, by one statement
// (the prepared `begin`).

/** A `beginNodeRun` call waiting for its batch. */
export interface PendingBegin {
  executionId: string;
  nodeId: string;
  parents: readonly string[];
  attempts: number | null;
  /** The run's token (fencing), or null. */
  runToken: string | null;
}

/** What {@link beginNodeRun} uses. */
export interface NodeRunBeginContext {
  /** `beginNodeRun` calls in flight together, written by one statement. */
  begins: Batcher<PendingBegin, Row | undefined>;
}

/** What {@link writeBegins} uses. */
export interface BeginWriteContext {
  db: Database;
  statements: Pick<HotStatements, 'begin'>;
}

/**
 * `ExecutionStore.beginNodeRun`. One round trip: start the node if the execution and the
 * node allow it (and move a pending execution to running), then read the execution's
 * fields and the rows of the node and its parents — never the other nodes. It takes no
 * lock on the execution row: the node row's lock orders it against a cancel or a failure
 * (which re-check the node's status after waiting for it), and the parents it reads are
 * settled. Committed without waiting for the disk: the mark is redone by the job's re-run
 * if a crash loses it. With `runToken` the run holds the node (see `beginNodeRunsText`).
 */
export async function beginNodeRun(
  ctx: NodeRunBeginContext,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
  attempt?: number,
  runToken?: string,
): Promise<BeginNodeRunResult> {
  const parents = plan.parents.get(nodeId) ?? [];
  const attempts = integer(attempt, 'attempt');
  const execution = await ctx.begins.add({
    executionId: checkText(executionId),
    nodeId: checkText(nodeId),
    parents,
    attempts: attempts ?? null,
    runToken: runTokenArgument(runToken),
  });
  const started = execution?.started === null ? undefined : (execution?.started as number);
  const nodeRows = JSON.parse(opt(execution ?? {}, 'nodes') ?? '[]') as Row[];
  if (!execution) return { started: false, reason: 'not-found' };
  if (started === undefined) return notStarted(execution, nodeRows, nodeId);
  return startedRun(plan, nodeId, execution, nodeRows, started);
}

/** Why the run did not start: the execution is not active, or the node not runnable. */
function notStarted(execution: Row, nodeRows: readonly Row[], nodeId: string): BeginNodeRunResult {
  const executionStatus = str(execution, 'status') as ExecutionStatus;
  if (executionStatus !== 'pending' && executionStatus !== 'running') {
    return { started: false, reason: 'execution-not-active', executionStatus };
  }
  const result: BeginNodeRunResult = {
    started: false,
    reason: 'node-not-runnable',
    executionStatus,
  };
  const node = nodeRows.find((r) => r.node_id === nodeId);
  if (node) result.nodeStatus = str(node, 'status') as NodeStatus;
  return result;
}

/** The started run: its attempt, its input from the parents' rows, the execution's fields. */
function startedRun(
  plan: WorkflowPlan,
  nodeId: string,
  execution: Row,
  nodeRows: readonly Row[],
  started: number,
): BeginNodeRunResult {
  const byId = new Map(nodeRows.map((r) => [str(r, 'node_id'), r]));
  const lookup = (id: string): ParentResult | undefined => {
    const row = byId.get(id);
    if (!row) return undefined;
    return {
      ...toSnapshot(row),
      data: parseJson(row.data),
      error: opt(row, 'error'),
    };
  };
  const initialData = parseJson(execution.initial_data);
  const input = resolveNodeInput(plan, nodeId, lookup, initialData);
  const result: BeginNodeRunResult = {
    started: true,
    attempt: started,
    inputData: input.inputData,
    previousResults: input.previousResults,
    initialData: parseJson(execution.initial_data),
    tenantId: str(execution, 'tenant_id'),
    depth: execution.depth as number,
  };
  const parentExecutionId = opt(execution, 'parent_execution_id');
  if (parentExecutionId !== undefined) result.parentExecutionId = parentExecutionId;
  if (execution.priority !== null) result.priority = execution.priority as number;
  return result;
}

/**
 * Starts a batch of node runs (of any executions) with one statement. Calls that arrive
 * while earlier ones are in flight go out together, so a busy worker makes a round trip
 * per batch rather than per node run.
 */
export async function writeBegins(
  ctx: BeginWriteContext,
  batch: readonly PendingBegin[],
): Promise<(Row | undefined)[]> {
  const pairs = batch.flatMap((b, i) => [b.nodeId, ...b.parents].map((id) => [i + 1, id] as const));
  const rows = await ctx.db.prepared(
    ctx.statements.begin,
    [
      batch.map((b) => b.executionId),
      batch.map((b) => b.nodeId),
      batch.map((b) => b.attempts),
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
      batch.map((b) => b.runToken),
    ],
    // With explicit attempts, or with tokens (the run's second begin finds it begun),
    // running it twice leaves the same state, so it may be re-run after a connection lost
    // mid-commit; otherwise attempts would count twice.
    batch.every((b) => b.attempts !== null || b.runToken !== null),
  );
  // A run whose execution does not exist comes back without the execution's status.
  return batch.map((_, i) => (rows[i]!.status === null ? undefined : rows[i]));
}

import { randomUUID } from 'node:crypto';
import type { WorkflowPlan } from '@spane/core';
import {
  type CreateExecutionInput,
  type CreateExecutionResult,
  DEFAULT_TENANT,
  type ExecutionState,
  InvalidArgumentError,
  type NodeState,
  type NodeStatus,
  type SkipReason,
  startExecution,
  startedRunToken,
} from '@spane/core/store';
import type { Batcher } from './batcher.js';
import { integer, runTokenArgument } from './call-arguments.js';
import type { Database } from './db.js';
import { type ExecutionReadContext, readExecution } from './execution-reads.js';
import type { HotStatements } from './hot-statements.js';
import { opt } from './row-mapping.js';
import { checkText, jsonText, sql } from './sql.js';

// `createExecution`: an execution and its node rows, written with the creations in
// flight with it by one statement (the prepared `create`).

/** A `createExecution` call waiting for its batch, its values checked. */
export interface PendingCreate {
  executionId: string;
  /** $2–$12 and $19 of the `create` statement. */
  values: readonly unknown[];
  /** Its node rows: node, status, skip reason, open parents, the token holding it. */
  nodes: readonly (readonly [string, string, string | null, number, string | null])[];
}

/** What {@link createExecution} uses. */
export interface ExecutionCreationContext extends ExecutionReadContext {
  /** `createExecution` calls in flight together, written by one statement. */
  creates: Batcher<PendingCreate, string | undefined>;
}

/** What {@link writeCreates} uses. */
export interface CreateWriteContext {
  db: Database;
  statements: Pick<HotStatements, 'create'>;
}

/** A `createExecution` call's arguments with their defaults, checked. */
interface CreateCall {
  input: CreateExecutionInput;
  plan: WorkflowPlan;
  tenantId: string;
  executionId: string;
  depth: number;
  priority: number | undefined;
  metadata: Record<string, unknown>;
}

/** How the nodes of a new execution start, in the plan's node order. */
interface StartingNodes {
  /** The plan's start: ready and skipped nodes, nodes left to settle. */
  start: ReturnType<typeof startExecution>;
  /** The entry nodes created `running` (those of `input.start` that are ready). */
  started: string[];
  statuses: string[];
  reasons: (string | null)[];
  openParents: number[];
  /** The token holding each node: `startedRunToken(runToken, id)` for a started one. */
  tokens: (string | null)[];
}

/** The arguments of a call with their defaults. @throws InvalidArgumentError for bad ones. */
function createCall(input: CreateExecutionInput): CreateCall {
  const { plan } = input;
  const tenantId = input.tenantId ?? DEFAULT_TENANT;
  const executionId = input.executionId ?? randomUUID();
  const depth = integer(input.depth, 'depth') ?? 0;
  const priority = integer(input.priority, 'priority');
  const metadata = input.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new InvalidArgumentError('metadata must be an object');
  }
  return { input, plan, tenantId, executionId, depth, priority, metadata };
}

/**
 * The rows the nodes of `plan` start with, the entry nodes of `requested` running (held by
 * the token derived from `runToken`, if given).
 */
function startingNodes(
  plan: WorkflowPlan,
  requested: readonly string[] | undefined,
  runToken: string | null,
): StartingNodes {
  const start = startExecution(plan);
  const ready = new Set(start.ready);
  const started = start.ready.filter((id) => requested?.includes(id));
  const skipped = new Map(start.skipped.map((s) => [s.nodeId, s.reason]));
  const statuses = plan.nodeIds.map((id) =>
    started.includes(id)
      ? 'running'
      : ready.has(id)
        ? 'queued'
        : skipped.has(id)
          ? 'skipped'
          : 'pending',
  );
  const reasons = plan.nodeIds.map((id) => skipped.get(id) ?? null);
  // Parents skipped at the start (unreachable) are settled already.
  const openParents = plan.nodeIds.map(
    (id) => (plan.parents.get(id) ?? []).filter((p) => !skipped.has(p)).length,
  );
  const tokens = plan.nodeIds.map((id) =>
    runToken !== null && started.includes(id) ? startedRunToken(runToken, id) : null,
  );
  return { start, started, statuses, reasons, openParents, tokens };
}

/**
 * The call as the `create` statement takes it. Checked before any I/O: a value
 * PostgreSQL cannot store fails up front.
 */
function pendingCreate(call: CreateCall, nodes: StartingNodes): PendingCreate {
  const { input, plan } = call;
  return {
    executionId: checkText(call.executionId),
    values: [
      checkText(call.tenantId),
      checkText(plan.workflowId),
      checkText(plan.version),
      input.initialData === undefined ? null : jsonText(input.initialData, 'initialData'),
      checkText(input.parentExecutionId ?? null),
      checkText(input.parentNodeId ?? null),
      call.depth,
      call.priority ?? null,
      checkText(input.idempotencyKey ?? null),
      jsonText(call.metadata, 'metadata'),
      nodes.start.remaining,
      nodes.started.length > 0 ? 'running' : 'pending',
    ],
    nodes: plan.nodeIds.map(
      (id, i) =>
        [
          id,
          nodes.statuses[i]!,
          nodes.reasons[i]!,
          nodes.openParents[i]!,
          nodes.tokens[i]!,
        ] as const,
    ),
  };
}

/** The node states of the execution as written, at `createdAt`. */
function createdNodes(
  plan: WorkflowPlan,
  nodes: StartingNodes,
  createdAt: string,
): Record<string, NodeState> {
  const nodeResults: Record<string, NodeState> = {};
  plan.nodeIds.forEach((id, i) => {
    const state: NodeState = { status: nodes.statuses[i] as NodeStatus, attempts: 0 };
    if (state.status === 'running') {
      state.attempts = 1;
      state.startedAt = createdAt;
    }
    const reason = nodes.reasons[i];
    if (reason) {
      state.skipReason = reason as SkipReason;
      state.finishedAt = createdAt;
    }
    Object.defineProperty(nodeResults, id, {
      value: state,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return nodeResults;
}

/** The result of a call whose execution was written at `createdAt`. */
function createdExecution(
  call: CreateCall,
  nodes: StartingNodes,
  createdAt: string,
): CreateExecutionResult {
  const { input, plan, priority, metadata } = call;
  const { started } = nodes;
  const execution: ExecutionState = {
    executionId: call.executionId,
    workflowId: plan.workflowId,
    workflowVersion: plan.version,
    tenantId: call.tenantId,
    status: started.length > 0 ? 'running' : 'pending',
    nodeResults: createdNodes(plan, nodes, createdAt),
    createdAt,
    depth: call.depth,
    metadata: JSON.parse(JSON.stringify(metadata)),
    version: 0,
  };
  if (input.initialData !== undefined) {
    execution.initialData = JSON.parse(JSON.stringify(input.initialData));
  }
  if (input.parentExecutionId !== undefined) execution.parentExecutionId = input.parentExecutionId;
  if (input.parentNodeId !== undefined) execution.parentNodeId = input.parentNodeId;
  if (priority !== undefined) execution.priority = priority;
  if (input.idempotencyKey !== undefined) execution.idempotencyKey = input.idempotencyKey;
  if (started.length > 0) execution.startedAt = createdAt;
  const result: CreateExecutionResult = {
    execution,
    created: true,
    ready: [...nodes.start.ready],
  };
  if (input.start !== undefined) result.started = started;
  return result;
}

/**
 * After a conflict: the execution of the idempotency key (its winner has committed by
 * now); else, if the id is taken, an error; undefined when the conflicting execution was
 * purged in between (try again).
 * @throws InvalidArgumentError when an execution of that id exists.
 */
async function conflicting(
  ctx: ExecutionReadContext,
  call: CreateCall,
): Promise<CreateExecutionResult | undefined> {
  const { input, tenantId, executionId } = call;
  if (input.idempotencyKey !== undefined) {
    const existing = await readExecution(
      ctx,
      sql`tenant_id = ${tenantId} AND idempotency_key = ${input.idempotencyKey}`,
    );
    if (existing) return { execution: existing, created: false, ready: [] };
  }
  const [found] = await ctx.db.read(
    sql`SELECT 1 FROM ${ctx.tables.executions} WHERE execution_id = ${executionId}`,
  );
  if (found!.length > 0) {
    throw new InvalidArgumentError(`execution '${executionId}' already exists`);
  }
  return undefined;
}

/**
 * `ExecutionStore.createExecution`: writes the execution and its node rows (the entry
 * nodes of `input.start` running), or returns the execution of its idempotency key.
 */
export async function createExecution(
  ctx: ExecutionCreationContext,
  input: CreateExecutionInput,
): Promise<CreateExecutionResult> {
  const call = createCall(input);
  const nodes = startingNodes(call.plan, input.start, runTokenArgument(input.runToken));
  const pending = pendingCreate(call, nodes);
  for (let attempt = 0; attempt < 3; attempt++) {
    // With the calls in flight with it, in one statement; undefined after a conflict.
    const createdAt = await ctx.creates.add(pending);
    if (createdAt !== undefined) return createdExecution(call, nodes, createdAt);
    const existing = await conflicting(ctx, call);
    if (existing) return existing;
  }
  throw new Error(`createExecution: could not create execution '${call.executionId}'`);
}

/** Creates a batch of executions with one statement; undefined for a conflicting one. */
export async function writeCreates(
  ctx: CreateWriteContext,
  batch: readonly PendingCreate[],
): Promise<(string | undefined)[]> {
  const nodes = batch.flatMap((b) =>
    b.nodes.map((n, i) => [b.executionId, n[0], i + 1, n[1], n[2], n[3], n[4]] as const),
  );
  const [row] = await ctx.db.prepared(ctx.statements.create, [
    batch.map((b) => b.executionId),
    ...Array.from({ length: 11 }, (_, i) => batch.map((b) => b.values[i])),
    ...Array.from({ length: 6 }, (_, i) => nodes.map((n) => n[i])),
    batch.map((b) => b.values[11]),
    nodes.map((n) => n[6]),
  ]);
  const created = JSON.parse(opt(row!, 'created') ?? '{}') as Record<string, string>;
  return batch.map((b) => created[b.executionId]);
}

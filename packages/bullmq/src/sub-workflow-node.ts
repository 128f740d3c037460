import {
  assertPayloadSize,
  type CreateExecutionInput,
  type CreateExecutionResult,
  DepthLimitExceededError,
  type ExecutionResult,
  type ExecutionState,
  type ExecutionStore,
  getPath,
  isSettled,
  isTerminalStatus,
  planNode,
  readablePathProblem,
  type SchemaProblem,
  type SubWorkflowNodeConfig,
  type TraceContext,
  WorkflowNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { unfinishedChildren } from './child-executions.js';
import type { EngineLogger } from './engine-options.js';
import { isMapItemKey } from './map-node.js';
import type { MapNodes } from './map-nodes.js';
import type { PlanSource } from './plan-source.js';
import { childIdempotencyKey, type RedisKeys } from './redis-keys.js';
import type { StartedRun } from './started-run.js';

/** The built-in node type that runs another workflow as a child execution. */
export const SUB_WORKFLOW_NODE = 'sub-workflow';

/** What a sub-workflow node's start returns when the child runs: the node now waits. */
export const WAITING = Symbol('spane.waiting');

/**
 * What the `sub-workflow` config schema does not say: a mapping's dotted path must be one
 * the node can read (`readablePathProblem`: no `__proto__`, `constructor` or `prototype`
 * segment). Mapping target keys are refused by the schema itself.
 */
export function subWorkflowConfigProblems(config: Record<string, unknown>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const key of ['inputMapping', 'outputMapping'] as const) {
    const mapping = config[key];
    if (typeof mapping !== 'object' || mapping === null) continue;
    for (const [target, source] of Object.entries(mapping)) {
      const problem = readablePathProblem(source);
      if (problem !== undefined) {
        problems.push({
          path: `/${key}/${target.replaceAll('~', '~0').replaceAll('/', '~1')}`,
          message: problem,
        });
      }
    }
  }
  return problems;
}

/**
 * Applies a mapping (target key → dotted path from `root`) to `value`. Without a mapping
 * the value passes whole. Paths are only looked up, never evaluated.
 */
export function applyMapping(mapping: Record<string, string> | undefined, value: unknown): unknown {
  if (mapping === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const [target, path] of Object.entries(mapping)) {
    // `path` starts at its root (`input` / `output`), which stands for `value` itself.
    const v = getPath(value, path.split('.').slice(1));
    if (v !== undefined) out[target] = v;
  }
  return out;
}

/**
 * A finished child's output: the data of its single leaf node (a node without children),
 * or `{ [leafId]: data }` of the leaves that produced a result when it has several
 * (skipped leaves are left out; a leaf that failed with `continueOnFail` gives its
 * data, or `{ error }`).
 */
export function childOutput(plan: WorkflowPlan, child: ExecutionState): unknown {
  const leaves = plan.nodeIds.filter((id) => (plan.children.get(id) ?? []).length === 0);
  const resultOf = (id: string): { has: boolean; data?: unknown } => {
    const n = child.nodeResults[id];
    if (n?.status === 'completed') return { has: true, data: n.data };
    if (n?.status === 'failed' && n.continuedOnFail)
      return { has: true, data: n.data ?? { error: n.error } };
    return { has: false };
  };
  if (leaves.length === 1) return resultOf(leaves[0]!).data;
  const out: Record<string, unknown> = {};
  for (const id of leaves) {
    const r = resultOf(id);
    if (r.has) out[id] = r.data;
  }
  return out;
}

/**
 * The depth of a child execution started by a run at `parentDepth`.
 * @throws DepthLimitExceededError past `maxDepth` (before anything is created)
 */
export function childDepth(parentDepth: number, maxDepth: number): number {
  const depth = parentDepth + 1;
  if (depth > maxDepth) throw new DepthLimitExceededError(depth, maxDepth);
  return depth;
}

/**
 * The nodes of a child execution to enqueue after `createExecution`: the ready ones it
 * created, or — when it existed (a re-run) — those still `queued`.
 */
export function nodesToLaunch(created: CreateExecutionResult): readonly string[] {
  if (created.created) return created.ready;
  return Object.entries(created.execution.nodeResults)
    .filter(([, n]) => n.status === 'queued')
    .map(([id]) => id);
}

/** A node of an execution, as events name it. */
export interface NodeRef {
  executionId: string;
  workflowId: string;
  tenantId: string;
  nodeId: string;
  nodeType: string;
}

/** Records the outcome of a sub-workflow node that waited for its child. */
export interface WaitingNodeRecorder {
  /**
   * Completes a sub-workflow node that was waiting for its child (called by the engine that
   * saw the child finish): events, children, the parent's own finish. A no-op when the
   * node is already settled.
   */
  completeWaiting(
    plan: WorkflowPlan,
    node: NodeRef,
    run: { attempt: number; startedAt: string | undefined; priority: number | undefined },
    data: unknown,
    maybeChild: boolean,
  ): Promise<void>;
  /** Fails a sub-workflow node that was waiting for its child (DLQ item unless continueOnFail). */
  failWaiting(
    plan: WorkflowPlan,
    node: NodeRef,
    run: { attempt: number; startedAt: string | undefined },
    message: string,
    maybeChild: boolean,
  ): Promise<void>;
}

/** Makes a new execution run. */
export interface ExecutionLauncher {
  /**
   * Arms the execution's workflow timeout and announces it (when `announce`), then
   * enqueues its `ready` nodes.
   */
  launch(
    plan: WorkflowPlan,
    execution: ExecutionState,
    ready: readonly string[],
    opts: { announce: boolean; delay: number; traceContext?: TraceContext | undefined },
  ): Promise<void>;
}

/** Cancels executions. */
export interface ChildCanceller {
  /** Cancels an execution (and its children) unless it already ended. */
  cancelChild(executionId: string): Promise<void>;
}

/** What {@link SubWorkflows} needs. */
export interface SubWorkflowContext {
  store: Pick<
    ExecutionStore,
    'getWorkflow' | 'createExecution' | 'setNodeStatus' | 'getExecution' | 'listExecutions'
  >;
  redis: Pick<Redis, 'sadd' | 'srem' | 'sscan'>;
  /** `subWorkflows`: the set of child executions whose parent node waits. */
  keys: Pick<RedisKeys, 'subWorkflows'>;
  logger: EngineLogger;
  maxDepth: number;
  maxPayloadBytes: number;
  plans: Pick<PlanSource, 'getPlan'>;
  launcher: ExecutionLauncher;
  canceller: ChildCanceller;
  waitingNodes: WaitingNodeRecorder;
  /** Map nodes: an item's child execution is theirs to follow up. */
  maps: Pick<MapNodes, 'onItemFinished'>;
}

type ChildOutcome = { ok: true; data: unknown } | { ok: false; error: string };

/**
 * Sub-workflow nodes. Starting one (in the node's worker) creates the child execution and
 * sets the node `waiting`; the worker then returns, holding no slot. The engine that
 * finishes the child (the caller receiving `finished: true`, or the one cancelling it)
 * completes the parent node with the mapped output, or fails it, and the parent run
 * continues — that completion may itself finish the parent and propagate further up.
 *
 * If that engine dies in between, two paths still complete the parent node: the job that
 * finished the child is only removed from Redis after the parent was told, so a crash
 * makes BullMQ run it again, and the re-run finds the execution finished and tells the
 * parent; and every child of a waiting node is in the `<prefix>:subworkflows` set, which
 * `reconcile()` sweeps.
 */
export class SubWorkflows {
  readonly #d: SubWorkflowContext;
  readonly #indexKey: string;

  constructor(ctx: SubWorkflowContext) {
    this.#d = ctx;
    this.#indexKey = ctx.keys.subWorkflows;
  }

  /**
   * Starts the child of one attempt of a sub-workflow node (or finds it, on a re-run).
   * Returns {@link WAITING}, or the node's result when the child had already finished.
   * The child execution's span is a child of `traceContext` (the attempt's span).
   * @throws DepthLimitExceededError (before anything is created) | WorkflowNotFoundError | PayloadTooLargeError
   */
  async start(
    plan: WorkflowPlan,
    node: NodeRef,
    begun: StartedRun,
    attempt: number,
    traceContext?: TraceContext,
  ): Promise<ExecutionResult | typeof WAITING> {
    const { store } = this.#d;
    const config = planNode(plan, node.nodeId).config as unknown as SubWorkflowNodeConfig;
    const depth = childDepth(begun.depth, this.#d.maxDepth);
    const stored = await store.getWorkflow(config.workflowId, { tenantId: begun.tenantId });
    if (!stored) throw new WorkflowNotFoundError(config.workflowId);
    const childPlan = await this.#d.plans.getPlan(
      begun.tenantId,
      config.workflowId,
      stored.version,
    );
    const initialData = applyMapping(config.inputMapping, begun.inputData);
    assertPayloadSize(
      `input of sub-workflow node '${node.nodeId}'`,
      initialData,
      this.#d.maxPayloadBytes,
    );
    const input: CreateExecutionInput = {
      plan: childPlan,
      tenantId: begun.tenantId,
      initialData,
      parentExecutionId: node.executionId,
      parentNodeId: node.nodeId,
      depth,
      idempotencyKey: childIdempotencyKey(node.executionId, node.nodeId, attempt),
    };
    if (begun.priority !== undefined) input.priority = begun.priority;
    if (attempt > 1) await this.#cancelEarlierChildren(node, input.idempotencyKey!);
    const result = await store.createExecution(input);
    const { execution, created } = result;
    if (isTerminalStatus(execution.status)) {
      // A re-run after a crash: the child finished meanwhile.
      const outcome = this.#outcome(childPlan, execution, config);
      if (outcome.ok) return { success: true, data: outcome.data };
      return { success: false, error: outcome.error, retryable: false };
    }
    await this.#d.redis.sadd(this.#indexKey, execution.executionId);
    if (!(await store.setNodeStatus(node.executionId, node.nodeId, 'waiting'))) {
      // The parent was cancelled or failed while the child was being created (a cancel
      // that listed the children before this one existed): do not leave it running.
      await this.#d.canceller.cancelChild(execution.executionId);
      await this.#d.redis.srem(this.#indexKey, execution.executionId);
      return WAITING;
    }
    await this.#d.launcher.launch(childPlan, execution, nodesToLaunch(result), {
      announce: created,
      delay: 0,
      traceContext,
    });
    return WAITING;
  }

  /**
   * A run that took over this node from one that lost it (a crash, a lost lock) starts a
   * child of its own attempt: a child an earlier run started and that still runs would
   * never be heard (its parent node waits for this attempt's child), so it is cancelled.
   */
  async #cancelEarlierChildren(node: NodeRef, key: string): Promise<void> {
    const parent = { executionId: node.executionId, tenantId: node.tenantId };
    for await (const children of unfinishedChildren(this.#d.store, parent)) {
      for (const child of children) {
        if (child.parentNodeId === node.nodeId && child.idempotencyKey !== key) {
          await this.#d.canceller.cancelChild(child.executionId);
        }
      }
    }
  }

  /**
   * Called when an execution finished (or may have): if it is the current child of a
   * waiting sub-workflow node, completes or fails that node. Idempotent; safe to call
   * from several engines at once (the store records the node once).
   */
  async onFinished(executionId: string): Promise<void> {
    const { store } = this.#d;
    const child = await store.getExecution(executionId);
    if (!child || !isTerminalStatus(child.status)) return;
    if (child.parentExecutionId === undefined || child.parentNodeId === undefined) return;
    if (isMapItemKey(child.idempotencyKey)) return this.#d.maps.onItemFinished(executionId);
    const parent = await store.getExecution(child.parentExecutionId);
    const pnode = parent?.nodeResults[child.parentNodeId];
    if (
      !parent ||
      !pnode ||
      isTerminalStatus(parent.status) ||
      isSettled(pnode.status) ||
      pnode.status === 'cancelled' ||
      child.idempotencyKey !==
        childIdempotencyKey(parent.executionId, child.parentNodeId, pnode.attempts)
    ) {
      await this.#d.redis.srem(this.#indexKey, executionId);
      // The parent was told before, and may have finished then: make sure its own parent
      // heard of it (a crash may have cut that propagation short).
      if (parent && isTerminalStatus(parent.status) && parent.parentExecutionId !== undefined) {
        await this.onFinished(parent.executionId);
      }
      return;
    }
    const plan = await this.#d.plans.getPlan(
      parent.tenantId,
      parent.workflowId,
      parent.workflowVersion,
    );
    const childPlan = await this.#d.plans.getPlan(
      child.tenantId,
      child.workflowId,
      child.workflowVersion,
    );
    const config = planNode(plan, child.parentNodeId).config as unknown as SubWorkflowNodeConfig;
    const outcome = this.#outcome(childPlan, child, config);
    const ref: NodeRef = {
      executionId: parent.executionId,
      workflowId: parent.workflowId,
      tenantId: parent.tenantId,
      nodeId: child.parentNodeId,
      nodeType: SUB_WORKFLOW_NODE,
    };
    const run = { attempt: pnode.attempts, startedAt: pnode.startedAt, priority: parent.priority };
    const maybeChild = parent.parentExecutionId !== undefined;
    const { waitingNodes } = this.#d;
    if (outcome.ok) await waitingNodes.completeWaiting(plan, ref, run, outcome.data, maybeChild);
    else await waitingNodes.failWaiting(plan, ref, run, outcome.error, maybeChild);
    await this.#d.redis.srem(this.#indexKey, executionId);
  }

  /**
   * The reconciler's pass: tells the parent of every recorded child that finished (a
   * crash between the child's end and its parent's update). Returns how many it checked.
   */
  async sweep(): Promise<number> {
    let cursor = '0';
    let checked = 0;
    do {
      const [next, ids] = await this.#d.redis.sscan(this.#indexKey, cursor, 'COUNT', 200);
      cursor = next;
      for (const id of ids) {
        checked += 1;
        try {
          if (!(await this.#d.store.getExecution(id))) {
            await this.#d.redis.srem(this.#indexKey, id);
            continue;
          }
          await this.onFinished(id);
        } catch (err) {
          this.#d.logger.warn('sub-workflow check failed', {
            executionId: id,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
    } while (cursor !== '0');
    return checked;
  }

  #outcome(
    childPlan: WorkflowPlan,
    child: ExecutionState,
    config: SubWorkflowNodeConfig,
  ): ChildOutcome {
    const what = `sub-workflow '${child.workflowId}' (execution ${child.executionId})`;
    if (child.status !== 'completed') {
      return {
        ok: false,
        error: `${what} ${child.status}${child.error === undefined ? '' : `: ${child.error}`}`,
      };
    }
    const data = applyMapping(config.outputMapping, childOutput(childPlan, child));
    try {
      assertPayloadSize(`output of ${what}`, data, this.#d.maxPayloadBytes);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    return { ok: true, data };
  }
}

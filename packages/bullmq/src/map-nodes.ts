import {
  assertPayloadSize,
  type CreateExecutionInput,
  type ExecutionResult,
  type ExecutionState,
  type ExecutionStore,
  type ExecutionSummary,
  getPath,
  isSettled,
  isTerminalStatus,
  type MapNodeConfig,
  planNode,
  type TraceContext,
  WorkflowNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { unfinishedChildren } from './child-executions.js';
import type { EngineLogger } from './engine-options.js';
import {
  DEFAULT_MAP_CONCURRENCY,
  MAP_NODE,
  mapItemKey,
  mapItemWorkflowId,
  parseMapItemKey,
} from './map-node.js';
import { type ItemResult, type MapRef, MapState } from './map-state.js';
import type { PlanSource } from './plan-source.js';
import type { RedisKeys } from './redis-keys.js';
import type { StartedRun } from './started-run.js';
import {
  type ChildCanceller,
  childDepth,
  childOutput,
  type ExecutionLauncher,
  type NodeRef,
  nodesToLaunch,
  WAITING,
  type WaitingNodeRecorder,
} from './sub-workflow-node.js';

/** Child executions started at once when a map claims several items. */
const START_BATCH = 50;

/** Pauses a child execution unless it ended. */
export interface ChildPauser {
  /** Pauses an execution (and its children) unless it is not running. */
  pauseChild(executionId: string): Promise<void>;
}

/** What {@link MapNodes} needs. */
export interface MapNodesContext {
  store: Pick<
    ExecutionStore,
    | 'getWorkflow'
    | 'createExecution'
    | 'setNodeStatus'
    | 'getExecution'
    | 'getExecutionSummary'
    | 'listExecutions'
  >;
  redis: Redis;
  keys: Pick<RedisKeys, 'subWorkflows' | 'map' | 'maps'>;
  logger: EngineLogger;
  maxDepth: number;
  maxPayloadBytes: number;
  plans: Pick<PlanSource, 'getPlan'>;
  launcher: ExecutionLauncher;
  control: ChildCanceller & ChildPauser;
  waitingNodes: WaitingNodeRecorder;
}

/** What every item of one map attempt shares. */
interface MapRun {
  ref: MapRef;
  tenantId: string;
  /** The items' depth (the parent's + 1). */
  depth: number;
  priority: number | undefined;
  childPlan: WorkflowPlan;
  traceContext?: TraceContext | undefined;
}

/**
 * Map nodes: a list in the node's input runs item by item, each as a child execution (of
 * `workflowId`, or of a one-node workflow of `nodeType`), at most `concurrency` at once.
 * Starting the node (in its worker) writes the items to Redis and starts the first ones;
 * the node then waits, holding no worker slot. Each item's end (seen by the engine that
 * finishes the child, see SubWorkflows.onFinished) records its result and starts the next
 * items; the last one completes the node with the results in item order — or the first
 * failure fails it (`onItemError: 'fail'`, the other items cancelled).
 *
 * Items, results and counters live in Redis per attempt (one Lua call per item end), so no
 * job and no process holds the whole list while it runs. The reconciler's {@link sweep}
 * starts items a crash left claimed but unstarted and finishes maps whose end was cut
 * short; item ends lost in a crash are found by the sub-workflow sweep (every item is in
 * its set).
 */
export class MapNodes {
  readonly #d: MapNodesContext;
  readonly #state: MapState;

  constructor(ctx: MapNodesContext) {
    this.#d = ctx;
    this.#state = new MapState(ctx.redis, ctx.keys);
  }

  /**
   * Starts one attempt of a map node (or continues it, on a re-run): returns {@link WAITING},
   * or the node's result when there is nothing to run (an empty list, no list).
   * @throws DepthLimitExceededError | WorkflowNotFoundError
   */
  async start(
    plan: WorkflowPlan,
    node: NodeRef,
    begun: StartedRun,
    attempt: number,
    traceContext?: TraceContext,
  ): Promise<ExecutionResult | typeof WAITING> {
    const config = planNode(plan, node.nodeId).config as unknown as MapNodeConfig;
    const depth = childDepth(begun.depth, this.#d.maxDepth);
    const items = getPath(begun.inputData, config.items.split('.').slice(1));
    if (!Array.isArray(items)) {
      const found = items === null ? 'null' : typeof items;
      const error = `config.items '${config.items}' is not a list in the node's input (found ${found})`;
      return { success: false, error, retryable: false };
    }
    if (items.length === 0) return { success: true, data: outputOf(config, []) };
    const child = await this.#childWorkflow(plan, node, config);
    // A run that took over from one that lost the node: the items of earlier attempts
    // would never be heard (the node waits for this attempt's), so they stop.
    if (attempt > 1) {
      await this.#cancelItems(node, (a) => a !== attempt);
      for (let a = 1; a < attempt; a += 1) await this.#state.remove({ ...node, attempt: a });
    }
    const ref: MapRef = { executionId: node.executionId, nodeId: node.nodeId, attempt };
    await this.#state.init(ref, items, {
      total: items.length,
      concurrency: config.concurrency ?? DEFAULT_MAP_CONCURRENCY,
      childWorkflowId: child.workflowId,
      childVersion: child.version,
      startedAt: new Date().toISOString(),
    });
    if (!(await this.#d.store.setNodeStatus(node.executionId, node.nodeId, 'waiting'))) {
      // The execution ended meanwhile: nothing starts.
      await this.#state.remove(ref);
      return WAITING;
    }
    const run: MapRun = {
      ref,
      tenantId: begun.tenantId,
      depth,
      priority: begun.priority,
      childPlan: await this.#d.plans.getPlan(begun.tenantId, child.workflowId, child.version),
      traceContext,
    };
    // A re-run of the attempt (a crash after it started items) finds them started.
    const counters = await this.#state.counters(ref);
    const missing = counters ? await this.#state.unstarted(ref, counters.next) : [];
    await this.#startItems(run, [...missing, ...(await this.#state.claim(ref))]);
    return WAITING;
  }

  /** The workflow and version a map node's items run (the current one, for `workflowId`). */
  async #childWorkflow(
    plan: WorkflowPlan,
    node: NodeRef,
    config: MapNodeConfig,
  ): Promise<{ workflowId: string; version: string }> {
    if ('nodeType' in config) {
      return { workflowId: mapItemWorkflowId(plan.workflowId, node.nodeId), version: plan.version };
    }
    const stored = await this.#d.store.getWorkflow(config.workflowId, { tenantId: node.tenantId });
    if (!stored) throw new WorkflowNotFoundError(config.workflowId);
    return { workflowId: config.workflowId, version: stored.version };
  }

  /** Starts the child executions of `indexes`, a batch at a time. */
  async #startItems(run: MapRun, indexes: readonly number[]): Promise<void> {
    for (let i = 0; i < indexes.length; i += START_BATCH) {
      await Promise.all(
        indexes.slice(i, i + START_BATCH).map((index) => this.#startItem(run, index)),
      );
    }
  }

  /**
   * Starts (or finds, when it exists) the child execution of one item. A parent paused or
   * ended meanwhile is seen after the start (its pause or cancel may have listed its
   * children before this one existed): the child is paused or cancelled then.
   */
  async #startItem(run: MapRun, index: number): Promise<void> {
    const { store, redis, keys } = this.#d;
    const { ref } = run;
    const item = await this.#state.item(ref, index);
    if (!item) return; // the map ended
    const input: CreateExecutionInput = {
      plan: run.childPlan,
      tenantId: run.tenantId,
      initialData: item.value,
      parentExecutionId: ref.executionId,
      parentNodeId: ref.nodeId,
      depth: run.depth,
      idempotencyKey: mapItemKey(ref.executionId, ref.nodeId, ref.attempt, index),
    };
    if (run.priority !== undefined) input.priority = run.priority;
    const result = await store.createExecution(input);
    const { execution, created } = result;
    await redis.sadd(keys.subWorkflows, execution.executionId);
    await this.#state.started(ref, index);
    if (isTerminalStatus(execution.status)) {
      await this.onItemFinished(execution.executionId);
      return;
    }
    await this.#d.launcher.launch(run.childPlan, execution, nodesToLaunch(result), {
      announce: created,
      delay: 0,
      traceContext: run.traceContext,
    });
    const parent = await store.getExecutionSummary(ref.executionId);
    if (!parent || isTerminalStatus(parent.status)) {
      await this.#d.control.cancelChild(execution.executionId);
    } else if (parent.status === 'paused') {
      await this.#d.control.pauseChild(execution.executionId);
    }
  }

  /**
   * Called when a map item's child execution finished (or may have): records its result
   * and starts the next items, or completes / fails the map node. Idempotent; safe from
   * several engines at once.
   */
  async onItemFinished(childId: string): Promise<void> {
    const { store } = this.#d;
    const child = await store.getExecution(childId);
    if (!child || !isTerminalStatus(child.status) || child.parentExecutionId === undefined) return;
    const nodeId = child.parentNodeId ?? '';
    const parsed = parseMapItemKey(child.idempotencyKey, {
      executionId: child.parentExecutionId,
      nodeId,
    });
    if (!parsed) return this.#forget(childId);
    const ref: MapRef = { executionId: child.parentExecutionId, nodeId, attempt: parsed.attempt };
    // The parent's summary only (never its node outputs, which may hold the whole list):
    // the map's Redis state says whether this attempt still runs — it goes when the map
    // ends, when its execution ends (below, or the sweep) and when a later attempt starts.
    const parent = await store.getExecutionSummary(child.parentExecutionId);
    if (!parent || isTerminalStatus(parent.status)) {
      await this.#state.remove(ref);
      return this.#forget(childId);
    }
    const plan = await this.#planOf(parent);
    const config = planNode(plan, nodeId).config as unknown as MapNodeConfig;
    const result = await this.#itemResult(child);
    const failsMap = !result.ok && config.onItemError !== 'collect';
    const done = await this.#state.itemDone(ref, parsed.index, result, failsMap);
    if (done.what === 'gone') return this.#forget(childId);
    if (done.what === 'next') {
      await this.#startItems(await this.#runOf(parent, ref), done.start);
    } else if (done.what === 'complete') {
      await this.#complete(plan, parent, ref, config);
    } else if (done.what === 'fail') {
      await this.#fail(plan, parent, ref, `item ${parsed.index} failed: ${resultError(result)}`);
    }
    await this.#forget(childId);
  }

  /** Drops a child from the sub-workflow sweep's set. */
  async #forget(childId: string): Promise<void> {
    await this.#d.redis.srem(this.#d.keys.subWorkflows, childId);
  }

  /** True while the map node of `ref` waits for its items (this attempt). */
  #waits(parent: ExecutionState, ref: MapRef): boolean {
    const pnode = parent.nodeResults[ref.nodeId];
    return (
      !isTerminalStatus(parent.status) &&
      pnode?.status === 'waiting' &&
      pnode.attempts === ref.attempt
    );
  }

  /** True when the map attempt of `ref` can never run on (its state may go). */
  #over(parent: ExecutionState, ref: MapRef): boolean {
    const pnode = parent.nodeResults[ref.nodeId];
    return (
      isTerminalStatus(parent.status) ||
      pnode === undefined ||
      isSettled(pnode.status) ||
      pnode.status === 'cancelled' ||
      pnode.attempts > ref.attempt
    );
  }

  #planOf(execution: ExecutionSummary): Promise<WorkflowPlan> {
    return this.#d.plans.getPlan(
      execution.tenantId,
      execution.workflowId,
      execution.workflowVersion,
    );
  }

  /** What the items of a running map attempt share, from its parent and its counters. */
  async #runOf(parent: ExecutionSummary, ref: MapRef): Promise<MapRun> {
    const counters = await this.#state.counters(ref);
    if (!counters) throw new Error(`map node '${ref.nodeId}' has no state`);
    return {
      ref,
      tenantId: parent.tenantId,
      depth: parent.depth + 1,
      priority: parent.priority,
      childPlan: await this.#d.plans.getPlan(
        parent.tenantId,
        counters.childWorkflowId,
        counters.childVersion,
      ),
    };
  }

  /** A finished item's result: its child's output, or why it did not complete. */
  async #itemResult(child: ExecutionState): Promise<ItemResult> {
    if (child.status !== 'completed') {
      const why = child.error === undefined ? child.status : `${child.status}: ${child.error}`;
      return { ok: false, error: why };
    }
    const plan = await this.#planOf(child);
    return { ok: true, data: childOutput(plan, child) ?? null };
  }

  /** Completes a map node whose every item has a result: the output in item order. */
  async #complete(
    plan: WorkflowPlan,
    parent: ExecutionSummary,
    ref: MapRef,
    config: MapNodeConfig,
  ): Promise<void> {
    const counters = await this.#state.counters(ref);
    if (!counters) return;
    const data = outputOf(config, await this.#state.results(ref, counters.total));
    try {
      assertPayloadSize(`output of map node '${ref.nodeId}'`, data, this.#d.maxPayloadBytes);
    } catch (err) {
      return this.#fail(plan, parent, ref, (err as Error).message);
    }
    const { node, run, maybeChild } = this.#nodeOf(parent, ref, counters.startedAt);
    await this.#d.waitingNodes.completeWaiting(
      plan,
      node,
      { ...run, priority: parent.priority },
      data,
      maybeChild,
    );
    await this.#state.remove(ref);
  }

  /** Fails a map node: its unfinished items are cancelled first. */
  async #fail(plan: WorkflowPlan, parent: ExecutionSummary, ref: MapRef, message: string) {
    await this.#cancelItems({ ...parent, nodeId: ref.nodeId }, () => true);
    const startedAt = (await this.#state.counters(ref))?.startedAt;
    const { node, run, maybeChild } = this.#nodeOf(parent, ref, startedAt);
    await this.#d.waitingNodes.failWaiting(plan, node, run, message, maybeChild);
    await this.#state.remove(ref);
  }

  /** Cancels the unfinished items of a map node whose attempt `which` picks. */
  async #cancelItems(
    node: { executionId: string; tenantId: string; nodeId: string },
    which: (attempt: number) => boolean,
  ): Promise<void> {
    for await (const children of unfinishedChildren(this.#d.store, node)) {
      for (const child of children) {
        const key = parseMapItemKey(child.idempotencyKey, node);
        if (child.parentNodeId === node.nodeId && key && which(key.attempt)) {
          await this.#d.control.cancelChild(child.executionId);
        }
      }
    }
  }

  #nodeOf(parent: ExecutionSummary, ref: MapRef, startedAt: string | undefined) {
    const node: NodeRef = {
      executionId: parent.executionId,
      workflowId: parent.workflowId,
      tenantId: parent.tenantId,
      nodeId: ref.nodeId,
      nodeType: MAP_NODE,
    };
    const run = { attempt: ref.attempt, startedAt };
    return { node, run, maybeChild: parent.parentExecutionId !== undefined };
  }

  /**
   * The reconciler's pass over the map attempts under way: starts items a crash left
   * claimed but unstarted, finishes maps whose end was cut short, and drops the state of
   * maps that can no longer run. Returns how many it checked.
   */
  async sweep(): Promise<number> {
    let checked = 0;
    for await (const refs of this.#state.listed()) {
      for (const ref of refs) {
        checked += 1;
        try {
          await this.#check(ref);
        } catch (err) {
          this.#d.logger.warn('map node check failed', {
            executionId: ref.executionId,
            nodeId: ref.nodeId,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
    }
    return checked;
  }

  async #check(ref: MapRef): Promise<void> {
    const parent = await this.#d.store.getExecution(ref.executionId);
    if (!parent || this.#over(parent, ref)) return this.#state.remove(ref);
    if (!this.#waits(parent, ref)) return; // still starting (its node runs)
    const counters = await this.#state.counters(ref);
    if (!counters) return this.#state.remove(ref);
    const plan = await this.#planOf(parent);
    const config = planNode(plan, ref.nodeId).config as unknown as MapNodeConfig;
    if (counters.halted === 'complete') return this.#complete(plan, parent, ref, config);
    if (counters.halted?.startsWith('fail:')) {
      const index = Number(counters.halted.slice('fail:'.length));
      const [result] = (await this.#state.results(ref, counters.total)).slice(index, index + 1);
      return this.#fail(plan, parent, ref, `item ${index} failed: ${resultError(result)}`);
    }
    const missing = await this.#state.unstarted(ref, counters.next);
    if (missing.length > 0) await this.#startItems(await this.#runOf(parent, ref), missing);
  }

  /**
   * The execution with `items` (counts) on each of its map nodes that waits for its items.
   * Reads Redis only when some node waits; counts it cannot read are left out.
   */
  async withProgress(state: ExecutionState): Promise<ExecutionState> {
    const waiting = Object.entries(state.nodeResults).filter(([, n]) => n.status === 'waiting');
    if (waiting.length === 0) return state;
    const plan = await this.#planOf(state);
    for (const [nodeId, node] of waiting) {
      if (plan.nodes.get(nodeId)?.type !== MAP_NODE) continue;
      const ref = { executionId: state.executionId, nodeId, attempt: node.attempts };
      const items = await this.progress(ref).catch(() => undefined);
      if (items) node.items = items;
    }
    return state;
  }

  /** The item counts of a map node attempt under way, or undefined when it has none. */
  async progress(
    ref: MapRef,
  ): Promise<{ total: number; done: number; failed: number; running: number } | undefined> {
    const c = await this.#state.counters(ref);
    if (!c) return undefined;
    return { total: c.total, done: c.done, failed: c.failed, running: c.next - c.done - c.failed };
  }
}

function resultError(result: ItemResult | undefined): string {
  return result && !result.ok ? result.error : 'unknown error';
}

/** A map node's output from its items' results (in item order). */
function outputOf(config: MapNodeConfig, results: readonly (ItemResult | undefined)[]): unknown {
  const values = results.map((r) => (r?.ok ? r.data : null));
  if (config.onItemError !== 'collect') return values;
  const errors: { index: number; error: string }[] = [];
  results.forEach((r, index) => {
    if (r && !r.ok) errors.push({ index, error: r.error });
  });
  return { results: values, errors };
}

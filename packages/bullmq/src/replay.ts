import { randomUUID } from 'node:crypto';
import {
  type EngineEventMap,
  ExecutionNotFoundError,
  type ExecutionState,
  type ExecutionStore,
  InvalidArgumentError,
  isSpaneError,
  NodeNotFoundError,
  type NodeOutcome,
  type WorkflowPlan,
} from '@spane/core';
import { type EngineEvents, executionEvent } from './engine-events.js';
import type { ExecutionQuota } from './execution-quota.js';
import type { ExecutionFinisher } from './outcome-recorder.js';
import type { PlanSource } from './plan-source.js';
import type { ExecutionLauncher } from './sub-workflow-node.js';

/**
 * The nodes a replay from `fromNodeId` re-runs: `fromNodeId` and every node reachable
 * from it (its descendants).
 */
export function replayedNodes(plan: WorkflowPlan, fromNodeId: string): Set<string> {
  const seen = new Set([fromNodeId]);
  const queue = [fromNodeId];
  for (let i = 0; i < queue.length; i++) {
    for (const child of plan.children.get(queue[i]!) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return seen;
}

/**
 * What a replay from `fromNodeId` takes over from the original: the recorded outcome of
 * every node that is neither `fromNodeId` nor one of its descendants and that produced a
 * result in the original (completed, or failed with `continueOnFail`). Nodes without such
 * a result run again like any other.
 */
export function reusableOutcomes(
  plan: WorkflowPlan,
  original: ExecutionState,
  fromNodeId: string,
): Map<string, NodeOutcome> {
  const rerun = replayedNodes(plan, fromNodeId);
  const reuse = new Map<string, NodeOutcome>();
  for (const nodeId of plan.order) {
    if (rerun.has(nodeId)) continue;
    const n = original.nodeResults[nodeId];
    if (n?.status === 'completed') {
      reuse.set(nodeId, { type: 'completed', data: n.data, nextNodes: n.nextNodes });
    } else if (n?.status === 'failed' && n.continuedOnFail) {
      reuse.set(nodeId, { type: 'failed', error: n.error ?? 'failed', data: n.data });
    }
  }
  return reuse;
}

/** What {@link Replays} needs. */
export interface ReplaysContext {
  store: Pick<
    ExecutionStore,
    'getExecution' | 'createExecution' | 'beginNodeRun' | 'completeNode' | 'appendLogs'
  >;
  plans: Pick<PlanSource, 'getPlan'>;
  launcher: ExecutionLauncher;
  events: Pick<EngineEvents, 'emit'>;
  finisher: ExecutionFinisher;
  /** The tenants' active-execution quota: a replay takes a slot like any start. */
  quota: Pick<ExecutionQuota, 'reserve' | 'release'>;
}

/** What recording the reused outcomes left: nodes to run, skipped nodes, the end (if any). */
interface ReusedRun {
  queued: Set<string>;
  skipped: { nodeId: string; reason: EngineEventMap['node:skipped']['reason'] }[];
  finishedAs: string | undefined;
}

/**
 * Replays of executions: a new execution of the same workflow version, with the same
 * input, that takes over the recorded results of the nodes a replay from a node does not
 * run again.
 */
export class Replays {
  readonly #ctx: ReplaysContext;

  constructor(ctx: ReplaysContext) {
    this.#ctx = ctx;
  }

  /**
   * Starts the replay of `executionId` (from `fromNodeId`, when given); returns its id.
   * @throws ExecutionNotFoundError | NodeNotFoundError | InvalidArgumentError (fromNodeId was skipped)
   */
  async replay(executionId: string, from: string | undefined): Promise<string> {
    const { store } = this.#ctx;
    const original = await store.getExecution(executionId);
    if (!original) throw new ExecutionNotFoundError(executionId);
    const plan = await this.#ctx.plans.getPlan(
      original.tenantId,
      original.workflowId,
      original.workflowVersion,
    );
    const reuse =
      from === undefined ? new Map<string, NodeOutcome>() : reused(plan, original, from);
    const metadata: Record<string, unknown> = { replayedFrom: executionId };
    if (from !== undefined) {
      metadata.replayedFromNode = from;
      metadata.reusedNodes = [...reuse.keys()];
    }
    const input: Parameters<ExecutionStore['createExecution']>[0] = {
      plan,
      tenantId: original.tenantId,
      initialData: original.initialData,
      metadata,
      executionId: randomUUID(),
    };
    if (original.priority !== undefined) input.priority = original.priority;
    const claim = [{ tenantId: original.tenantId, executionId: input.executionId! }];
    await this.#ctx.quota.reserve(claim);
    let created: Awaited<ReturnType<ExecutionStore['createExecution']>>;
    try {
      created = await store.createExecution(input);
    } catch (err) {
      // A store refusal created nothing. Any other failure may have created it: the slot
      // stays, and the reconciler frees it if the execution does not exist.
      if (isSpaneError(err)) await this.#ctx.quota.release(claim);
      throw err;
    }
    const { execution, ready } = created;
    const replayId = execution.executionId;
    const run = await this.#recordReused(plan, replayId, ready, reuse);
    if (reuse.size > 0) {
      await store.appendLogs([
        {
          executionId: replayId,
          level: 'info',
          message: `replay of execution '${executionId}' from node '${from}': reused the results of ${[...reuse.keys()].join(', ')}`,
          timestamp: new Date().toISOString(),
        },
      ]);
    }
    await this.#ctx.launcher.launch(plan, execution, run.finishedAs ? [] : [...run.queued], {
      announce: true,
      delay: 0,
    });
    await this.#announce(plan, execution, run);
    return replayId;
  }

  /**
   * Records the reused outcomes through the store's ordinary operations (`beginNodeRun` +
   * `completeNode`, in topological order) before any job is added.
   */
  async #recordReused(
    plan: WorkflowPlan,
    replayId: string,
    ready: readonly string[],
    reuse: ReadonlyMap<string, NodeOutcome>,
  ): Promise<ReusedRun> {
    const { store } = this.#ctx;
    const run: ReusedRun = { queued: new Set(ready), skipped: [], finishedAs: undefined };
    for (const nodeId of plan.order) {
      const outcome = reuse.get(nodeId);
      if (!outcome || !run.queued.has(nodeId)) continue;
      const begun = await store.beginNodeRun(plan, replayId, nodeId, 1);
      if (!begun.started) break;
      const r = await store.completeNode(plan, replayId, nodeId, outcome);
      run.queued.delete(nodeId);
      for (const id of r.ready) run.queued.add(id);
      run.skipped.push(...r.skipped);
      if (r.finished) run.finishedAs = r.executionStatus;
    }
    return run;
  }

  /** The events of the reused outcomes: skipped nodes, and the replay's end when they finished it. */
  async #announce(plan: WorkflowPlan, execution: ExecutionState, run: ReusedRun): Promise<void> {
    const { events } = this.#ctx;
    const timestamp = new Date().toISOString();
    for (const s of run.skipped) {
      events.emit('node:skipped', {
        ...executionEvent(execution),
        nodeId: s.nodeId,
        nodeType: plan.nodes.get(s.nodeId)?.type ?? 'unknown',
        reason: s.reason,
        timestamp,
      });
    }
    if (run.finishedAs === 'completed') {
      events.emit('workflow:completed', executionEvent(execution));
      await this.#ctx.finisher.executionFinished(execution.executionId, plan, 'completed', false);
    }
  }
}

/** The outcomes a replay from `from` reuses. @throws NodeNotFoundError | InvalidArgumentError */
function reused(
  plan: WorkflowPlan,
  original: ExecutionState,
  from: string,
): Map<string, NodeOutcome> {
  if (!plan.nodes.has(from)) throw new NodeNotFoundError(from, `workflow '${plan.workflowId}'`);
  if (original.nodeResults[from]?.status === 'skipped') {
    throw new InvalidArgumentError(
      `node '${from}' was skipped in execution '${original.executionId}': a replay from it would skip it too`,
    );
  }
  return reusableOutcomes(plan, original, from);
}

import {
  type ExecutionExplanation,
  type ExecutionState,
  type ExecutionStore,
  isSettled,
  isTerminalStatus,
  type NodeExplanation,
  type NodeState,
  type NodeStatus,
  type NodeWaitReason,
  type WorkflowPlan,
} from '@spane/core';
import { childExecutions } from './child-executions.js';
import { executionMessage, reasonMessage } from './explanation-messages.js';
import { type JobNode, NodeJobReasons, type NodeJobReasonsContext } from './job-reasons.js';
import { MAP_NODE } from './map-node.js';
import type { MapNodes } from './map-nodes.js';
import type { PlanSource } from './plan-source.js';
import { WAIT_FOR_SIGNAL_NODE } from './signal-wait.js';
import { SUB_WORKFLOW_NODE } from './sub-workflow-node.js';

/** The node statuses explained: every one that is not settled nor cancelled. */
const UNFINISHED: ReadonlySet<NodeStatus> = new Set([
  'pending',
  'queued',
  'running',
  'delayed',
  'waiting',
]);

/** What {@link ExecutionExplainer} needs. */
export interface ExecutionExplainerContext extends NodeJobReasonsContext {
  store: Pick<ExecutionStore, 'getExecution' | 'listExecutions'>;
  plans: Pick<PlanSource, 'getPlan'>;
  /** Map nodes: the counts of a map's items, from Redis. */
  maps: Pick<MapNodes, 'progress'>;
}

/**
 * `engine.explain`: why each unfinished node of an execution is where it is, from the
 * store (the execution, its children) and Redis (see {@link NodeJobReasons}). Read-only.
 * A node whose job looks lost is looked at once more with the store read again, as the
 * reconciler does, so a node that just moved on is not reported lost.
 */
export class ExecutionExplainer {
  readonly #ctx: ExecutionExplainerContext;
  readonly #jobs: NodeJobReasons;

  constructor(ctx: ExecutionExplainerContext) {
    this.#ctx = ctx;
    this.#jobs = new NodeJobReasons(ctx);
  }

  /** The explanation of an execution the caller may see (its tenant was checked). */
  async explain(execution: ExecutionState): Promise<ExecutionExplanation> {
    const head = {
      executionId: execution.executionId,
      workflowId: execution.workflowId,
      status: execution.status,
      explainedAt: new Date().toISOString(),
    };
    if (isTerminalStatus(execution.status)) {
      return { ...head, message: executionMessage(execution, []), nodes: [] };
    }
    const plan = await this.#ctx.plans.getPlan(
      execution.tenantId,
      execution.workflowId,
      execution.workflowVersion,
    );
    const nodes = await this.#recheckLost(
      plan,
      execution,
      await this.#explainAll(plan, execution, unfinished(plan, execution)),
    );
    return { ...head, message: executionMessage(execution, nodes), nodes };
  }

  #explainAll(
    plan: WorkflowPlan,
    execution: ExecutionState,
    nodeIds: readonly string[],
  ): Promise<NodeExplanation[]> {
    return Promise.all(
      nodeIds.map(async (nodeId) => {
        const state = execution.nodeResults[nodeId] as NodeState;
        const reason = await this.#reason({ execution, plan, nodeId, state });
        return {
          nodeId,
          nodeType: plan.nodes.get(nodeId)?.type ?? '',
          status: state.status,
          reason,
          message: reasonMessage(reason),
        };
      }),
    );
  }

  /**
   * Explains again, from the store read anew, the nodes found lost whose status or
   * attempts changed meanwhile (those now finished are left out).
   */
  async #recheckLost(
    plan: WorkflowPlan,
    execution: ExecutionState,
    nodes: NodeExplanation[],
  ): Promise<NodeExplanation[]> {
    if (!nodes.some((n) => n.reason.kind === 'lost')) return nodes;
    const fresh = await this.#ctx.store.getExecution(execution.executionId, execution.tenantId);
    if (!fresh) return nodes;
    const moved = new Set(
      nodes
        .filter((n) => n.reason.kind === 'lost')
        .map((n) => n.nodeId)
        .filter((id) => {
          const [before, now] = [execution.nodeResults[id], fresh.nodeResults[id]];
          return now?.status !== before?.status || now?.attempts !== before?.attempts;
        }),
    );
    if (moved.size === 0) return nodes;
    const again = new Map(
      (
        await this.#explainAll(
          plan,
          fresh,
          [...moved].filter((id) => UNFINISHED.has(fresh.nodeResults[id]?.status ?? 'completed')),
        )
      ).map((n) => [n.nodeId, n]),
    );
    return nodes.flatMap((n) => (moved.has(n.nodeId) ? (again.get(n.nodeId) ?? []) : [n]));
  }

  async #reason(n: JobNode): Promise<NodeWaitReason> {
    const type = n.plan.nodes.get(n.nodeId)?.type;
    const { status } = n.state;
    if (status === 'pending') return this.#pending(n);
    if (type === SUB_WORKFLOW_NODE && status === 'waiting') return this.#child(n);
    if (type === MAP_NODE && (status === 'waiting' || status === 'delayed')) return this.#map(n);
    if (type === WAIT_FOR_SIGNAL_NODE && (status === 'waiting' || status === 'delayed')) {
      return this.#signal(n);
    }
    if (n.execution.status === 'paused' && status !== 'running')
      return { kind: 'execution-paused' };
    if (status === 'waiting') {
      return { kind: 'unknown', detail: `a node of type '${type}' waits, with no job to run it` };
    }
    return this.#jobs.reason(n);
  }

  /** A pending node: the parents it waits for, else what holds it. */
  #pending(n: JobNode): NodeWaitReason {
    const parents = (n.plan.parents.get(n.nodeId) ?? [])
      .map((nodeId) => ({ nodeId, status: n.execution.nodeResults[nodeId]?.status ?? 'pending' }))
      .filter((p) => !isSettled(p.status));
    if (parents.length > 0) return { kind: 'waiting-for-parents', parents };
    if (n.execution.status === 'paused') return { kind: 'execution-paused' };
    return {
      kind: 'unknown',
      detail:
        n.execution.status === 'pending'
          ? 'the execution has not started it yet'
          : 'its parents have settled but it was not queued: engine.enqueueNode queues it',
    };
  }

  /** A sub-workflow node: its newest child (a DLQ retry starts a new one). */
  async #child(n: JobNode): Promise<NodeWaitReason> {
    for await (const page of childExecutions(this.#ctx.store, n.execution)) {
      const child = page.find((c) => c.parentNodeId === n.nodeId);
      if (child) {
        return {
          kind: 'waiting-for-sub-workflow',
          childExecutionId: child.executionId,
          childStatus: child.status,
        };
      }
    }
    return { kind: 'unknown', detail: 'it waits for a sub-workflow that the store does not have' };
  }

  /**
   * A map node: its items' counts as the map keeps them (all items, the unstarted ones
   * too), or — before it started them, or after its state went — its child executions
   * counted by status.
   */
  async #map(n: JobNode): Promise<NodeWaitReason> {
    const ref = {
      executionId: n.execution.executionId,
      nodeId: n.nodeId,
      attempt: n.state.attempts,
    };
    const progress = await this.#ctx.maps.progress(ref);
    if (progress) return { kind: 'map', ...progress };
    const counts = { total: 0, done: 0, failed: 0, running: 0 };
    for await (const page of childExecutions(this.#ctx.store, n.execution)) {
      for (const child of page) {
        if (child.parentNodeId !== n.nodeId) continue;
        counts.total += 1;
        if (child.status === 'completed') counts.done += 1;
        else if (child.status === 'failed' || child.status === 'cancelled') counts.failed += 1;
        else counts.running += 1;
      }
    }
    return { kind: 'map', ...counts };
  }

  /** A wait-for-signal node: the signal's name, and when its wait times out (if it does). */
  async #signal(n: JobNode): Promise<NodeWaitReason> {
    const config = n.plan.nodes.get(n.nodeId)?.config as { name?: unknown } | undefined;
    const name = typeof config?.name === 'string' ? config.name : '';
    const timeoutAt = await this.#jobs.wakeAt(n);
    return {
      kind: 'waiting-for-signal',
      name,
      ...(timeoutAt === undefined ? {} : { timeoutAt: new Date(timeoutAt).toISOString() }),
    };
  }
}

/** The execution's unfinished nodes, in plan order. */
function unfinished(plan: WorkflowPlan, execution: ExecutionState): string[] {
  return plan.nodeIds.filter((id) => {
    const status = execution.nodeResults[id]?.status;
    return status !== undefined && UNFINISHED.has(status);
  });
}

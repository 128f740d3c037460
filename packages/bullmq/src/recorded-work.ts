import { type ExecutionState, type ExecutionStore, planNode, type WorkflowPlan } from '@spane/core';
import type { EngineEvents } from './engine-events.js';
import type { InfraRetry, RetryWhile } from './infra-retry.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import type { ExecutionFinisher } from './outcome-recorder.js';
import type { RiderIndex } from './riders.js';
import { storedTraceContext } from './tracing.js';

/** What {@link RecordedWork} needs. */
export interface RecordedWorkContext {
  store: Pick<ExecutionStore, 'getExecution'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  events: Pick<EngineEvents, 'emit'>;
  finisher: ExecutionFinisher;
  infra: Pick<InfraRetry, 'run'>;
  /** Which sibling's job carries a rider (see RiderIndex): such a node gets no job here. */
  riders: Pick<RiderIndex, 'carriers'>;
}

/** The node whose recorded outcome is followed up. */
export interface RecordedNode {
  executionId: string;
  nodeId: string;
}

/**
 * Finishes what a run that recorded a node's outcome may have left undone — it died right
 * after its commit, or the commit's reply was lost: the node's events again (with the same
 * event ids, so listeners can drop repeats), the jobs of its children still without one,
 * and, when that outcome finished the execution, the execution's events and end (its
 * parent node, if it is a sub-workflow). Every step is safe to repeat.
 */
export class RecordedWork {
  readonly #ctx: RecordedWorkContext;

  constructor(ctx: RecordedWorkContext) {
    this.#ctx = ctx;
  }

  /**
   * Follows up the node's recorded outcome (nothing when it has none), and those of the
   * runs its job may have carried after it (see CarriedRuns).
   */
  async resume(plan: WorkflowPlan, ref: RecordedNode, until?: RetryWhile): Promise<void> {
    const { store, infra, events } = this.#ctx;
    const { executionId, nodeId } = ref;
    const execution = await infra.run(
      `read of execution ${executionId}`,
      () => store.getExecution(executionId),
      until,
    );
    const node = execution?.nodeResults[nodeId];
    if (!execution || !node || (node.status !== 'completed' && node.status !== 'failed')) return;
    const after = followUps(plan, execution, nodeId);
    const settled = [nodeId, ...after.settled];
    for (const id of settled) this.#announce(plan, execution, id);
    const { status } = execution;
    if (status === 'running' || status === 'pending') {
      // A child its completion started is `running` and may have no job either — nor may
      // the nodes after the runs its job carried.
      // A rider whose carrier's job is there to run it is left to that job.
      await infra.run(
        `enqueue of the children of node '${nodeId}'`,
        async () => {
          const ridden = await this.#ctx.riders.carriers(plan, executionId, after.lost);
          const lost = after.lost.filter((id) => !ridden.has(id));
          await this.#ctx.enqueuer.enqueueNodes(plan, executionId, lost, execution.tenantId, {
            priority: execution.priority,
            traceContext: storedTraceContext(execution),
          });
        },
        until,
      );
      return;
    }
    const maybeChild = execution.parentExecutionId !== undefined;
    const { workflowId, tenantId } = execution;
    const exec = { executionId, workflowId, tenantId, timestamp: new Date().toISOString() };
    const failed = settled.find((id) => execution.nodeResults[id]?.status === 'failed');
    if (status === 'completed' && node.status === 'completed') {
      events.emit('workflow:completed', exec);
      await this.#ctx.finisher.executionFinished(executionId, plan, 'completed', maybeChild);
    } else if (status === 'failed' && failed !== undefined) {
      const f = execution.nodeResults[failed]!;
      events.emit('workflow:failed', {
        ...exec,
        error: f.error ?? 'failed',
        nodeId: failed,
        eventId: failedEventId({ executionId, nodeId: failed }, f.attempts),
      });
      await this.#ctx.finisher.executionFinished(executionId, plan, 'failed', maybeChild);
    }
  }

  /** Sends a settled node's event again (with its event id, so listeners drop repeats). */
  #announce(plan: WorkflowPlan, execution: ExecutionState, nodeId: string): void {
    const node = execution.nodeResults[nodeId];
    if (!node) return;
    const base = {
      executionId: execution.executionId,
      workflowId: execution.workflowId,
      tenantId: execution.tenantId,
      nodeId,
      nodeType: planNode(plan, nodeId).type,
      timestamp: new Date().toISOString(),
      attempt: node.attempts,
    };
    if (node.status === 'completed') {
      const durationMs = Math.max(0, spanMs(node.startedAt, node.finishedAt));
      this.#ctx.events.emit('node:completed', { ...base, durationMs });
    } else if (node.status === 'failed') {
      const error = node.error ?? 'failed';
      this.#ctx.events.emit('node:failed', { ...base, error, final: true });
    }
  }
}

/** What follows a settled node (see {@link followUps}). */
export interface FollowUps {
  /** Nodes that are `queued` or `running` and may have no job. */
  lost: string[];
  /** Settled nodes (completed or failed) whose run its job may have carried. */
  settled: string[];
}

/**
 * What may be left undone after `nodeId` settled, among the children its completion made
 * ready (of one parent, or a join whose parents this one finished last; a join another
 * parent finished last is that parent's to follow up, and a job added for it while that
 * parent's job runs it would start a second run): those `queued` or `running` (maybe
 * without a job), and — below the completed ones its job may have carried — theirs, and
 * those settled nodes. Adding a job that exists is a no-op and events carry ids, so the
 * lists may hold nodes whose follow-up was done.
 */
export function followUps(
  plan: WorkflowPlan,
  execution: Pick<ExecutionState, 'nodeResults'>,
  nodeId: string,
): FollowUps {
  const found: FollowUps = { lost: [], settled: [] };
  const seen = new Set<string>();
  const visit = (id: string): void => {
    for (const c of plan.children.get(id) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      // A join whose last parent is another node was made ready (and maybe started and run
      // as a carried run) by that node's completion, not by this one: left to it.
      if (!finishedLast(plan, execution, id, c)) continue;
      const status = execution.nodeResults[c]?.status;
      if (status === 'queued' || status === 'running') found.lost.push(c);
      if (status === 'failed') found.settled.push(c);
      if (status !== 'completed') continue;
      found.settled.push(c);
      visit(c);
    }
  };
  visit(nodeId);
  return found;
}

/** Whether `parent` finished last of `child`'s parents (its completion made `child` ready). */
function finishedLast(
  plan: WorkflowPlan,
  execution: Pick<ExecutionState, 'nodeResults'>,
  parent: string,
  child: string,
): boolean {
  const parents = plan.parents.get(child) ?? [];
  if (parents.length === 1) return true;
  const at = (id: string) => Date.parse(execution.nodeResults[id]?.finishedAt ?? '') || 0;
  const mine = at(parent);
  return parents.every((q) => at(q) <= mine);
}

/** The id of the `workflow:failed` event a node's final failure sends. */
export function failedEventId(ref: RecordedNode, attempt: number): string {
  return `workflow:failed:${ref.executionId}:${ref.nodeId}:${attempt}`;
}

function spanMs(from: string | undefined, to: string | undefined): number {
  if (from === undefined || to === undefined) return 0;
  return Date.parse(to) - Date.parse(from);
}

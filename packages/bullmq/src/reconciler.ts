import type { ActiveNode, ExecutionState, ExecutionStore, WorkflowPlan } from '@spane/core';
import { carrierOf } from './carried-runs.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { EngineLogger } from './engine-options.js';
import type { ExecutionQuota } from './execution-quota.js';
import type { FailedNodeJobs } from './failed-node-jobs.js';
import type { MapNodes } from './map-nodes.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import { type NodeQueues, nodeJobState } from './node-queues.js';
import type { PlanSource } from './plan-source.js';
import type { RiderIndex } from './riders.js';
import type { SubWorkflows } from './sub-workflow-node.js';
import type { WorkflowTimeouts } from './workflow-timeouts.js';

/** What one reconciliation pass did. */
export interface ReconcileResult {
  /** Active nodes found in the store. */
  checked: number;
  /**
   * Nodes whose job was missing from Redis, or had failed on an infrastructure error, and
   * was added again.
   */
  requeued: number;
  /** Workflow timeouts whose timer job was missing and was armed again. */
  timeoutsRearmed: number;
  /** Sub-workflows of waiting nodes checked for an end their parent missed. */
  subWorkflowsChecked?: number;
  /** Map nodes under way checked for items a crash left unstarted or an end it cut short. */
  mapsChecked?: number;
  /** Jobs waiting for a workflow `maxConcurrency` slot that were handed one freed by expiry. */
  concurrencyWaitersWoken?: number;
  /** Active-execution quota slots freed: their execution had ended (a lost release) or never existed. */
  quotaSlotsFreed?: number;
  /** Nodes whose job BullMQ failed for losing its worker too often, recorded as failed (a crash). */
  crashesRecorded?: number;
  /**
   * Steps that could not be done in this pass (each logged): an execution whose repair
   * threw, a page of active nodes that could not be listed, a sweep or drain that threw.
   * The pass goes on without them; the next pass tries again.
   */
  skipped?: number;
}

/** What {@link Reconciler} needs. */
export interface ReconcilerContext {
  store: Pick<ExecutionStore, 'listActiveNodes' | 'getExecution'>;
  queues: Pick<NodeQueues, 'forNode'>;
  /** Which sibling's job carries a rider (see RiderIndex). */
  riders: Pick<RiderIndex, 'carriers'>;
  plans: Pick<PlanSource, 'getPlan'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  failedJobs: Pick<FailedNodeJobs, 'repair'>;
  timeouts: Pick<WorkflowTimeouts, 'isArmed' | 'arm'>;
  subWorkflows: Pick<SubWorkflows, 'sweep'>;
  maps: Pick<MapNodes, 'sweep'>;
  gate: Pick<ConcurrencyGate, 'drain'>;
  quota: Pick<ExecutionQuota, 'drain'>;
  logger: EngineLogger;
  /** How often the periodic pass runs; 0: never. */
  intervalMs: number;
}

const PAGE = 500;

/** Required counts of a pass's result, filled in as it goes. */
type Tally = Required<ReconcileResult>;

/**
 * Puts back into Redis the work the store says must exist: every `queued`, `running` or
 * `delayed` node of a pending or running execution whose job is gone (Redis lost it: a
 * flush, a failover without persistence, an eviction) or sits in BullMQ's failed set (see
 * {@link FailedNodeJobs}), and lost workflow-timeout timers; then tells waiting parents of
 * sub-workflows that ended, hands expired concurrency slots on and frees the quota slots
 * of executions that ended without giving theirs back. Jobs that exist are left
 * alone; adding a job whose id exists is a no-op, so concurrent passes in several
 * processes are safe. One execution that cannot be repaired (its plan does not load, BullMQ
 * refuses its job, the store throws for it) is logged and skipped: it never stops the pass
 * for the others, nor the sweeps and drains after it.
 */
export class Reconciler {
  readonly #ctx: ReconcilerContext;
  #timer: NodeJS.Timeout | undefined;
  /** The periodic pass under way. */
  #pass: Promise<void> | undefined;
  /** When the periodic pass was started (epoch ms). */
  #startedAt: number | undefined;
  #stopped = false;

  constructor(ctx: ReconcilerContext) {
    this.#ctx = ctx;
  }

  /** One pass. */
  async run(): Promise<ReconcileResult> {
    const tally: Tally = {
      checked: 0,
      requeued: 0,
      timeoutsRearmed: 0,
      subWorkflowsChecked: 0,
      mapsChecked: 0,
      concurrencyWaitersWoken: 0,
      quotaSlotsFreed: 0,
      crashesRecorded: 0,
      skipped: 0,
    };
    let cursor: string | undefined;
    do {
      const page = await this.#step(tally, 'listing active nodes', {}, () =>
        this.#ctx.store.listActiveNodes(
          cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor },
        ),
      );
      // Without the page there is no cursor to go on from: the next pass starts again.
      if (page === undefined) break;
      cursor = page.nextCursor;
      tally.checked += page.items.length;
      await Promise.all(
        [...byExecution(page.items).values()].map((nodes) => this.#repairExecution(tally, nodes)),
      );
    } while (cursor !== undefined);
    tally.subWorkflowsChecked =
      (await this.#step(tally, 'sub-workflow sweep', {}, () => this.#ctx.subWorkflows.sweep())) ??
      0;
    tally.mapsChecked =
      (await this.#step(tally, 'map sweep', {}, () => this.#ctx.maps.sweep())) ?? 0;
    tally.concurrencyWaitersWoken =
      (await this.#step(tally, 'concurrency slot drain', {}, () => this.#ctx.gate.drain())) ?? 0;
    tally.quotaSlotsFreed =
      (await this.#step(tally, 'quota slot drain', {}, () => this.#ctx.quota.drain())) ?? 0;
    return tally;
  }

  /** Runs a pass every `intervalMs` (one at a time) until stopped. */
  start(): void {
    const every = this.#ctx.intervalMs;
    if (every <= 0) return;
    this.#timer = setInterval(() => {
      if (this.#pass !== undefined || this.#stopped) return;
      this.#pass = this.run()
        .then(
          () => {},
          (err: Error) => this.#ctx.logger.warn('reconcile failed', { error: err.message }),
        )
        .finally(() => {
          this.#pass = undefined;
        });
    }, every);
    this.#timer.unref();
    this.#startedAt = Date.now();
  }

  /**
   * When this process's periodic pass next runs (epoch ms, `now` or later), or undefined
   * when it runs none (not started, stopped, or `intervalMs` 0). A pass still running at
   * its tick skips that tick.
   */
  nextRunAt(now = Date.now()): number | undefined {
    const every = this.#ctx.intervalMs;
    if (this.#startedAt === undefined || this.#stopped || every <= 0) return undefined;
    const ticks = Math.floor(Math.max(0, now - this.#startedAt) / every) + 1;
    return this.#startedAt + ticks * every;
  }

  /** Stops the periodic pass; resolves when a periodic pass under way has ended. */
  stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    return this.#pass ?? Promise.resolve();
  }

  /** One step of a pass; a step that throws is logged and counted, and gives undefined. */
  async #step<T>(
    tally: Tally,
    what: string,
    fields: Record<string, unknown>,
    fn: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      tally.skipped += 1;
      this.#ctx.logger.warn(`reconcile skipped ${what}`, {
        ...fields,
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }

  /** Repairs the jobs and the workflow-timeout timer of one execution's active nodes. */
  async #repairExecution(tally: Tally, nodes: readonly ActiveNode[]): Promise<void> {
    const first = nodes[0]!;
    const fields = { executionId: first.executionId };
    await this.#step(tally, 'an execution it could not repair', fields, async () => {
      const plan = await this.#ctx.plans.getPlan(
        first.tenantId,
        first.workflowId,
        first.workflowVersion,
      );
      const repaired = await this.#repairJobs(plan, nodes);
      tally.requeued += repaired.requeued;
      tally.crashesRecorded += repaired.crashes;
      if (await this.#rearmTimeout(plan, first)) tally.timeoutsRearmed += 1;
    });
  }

  /** The job state of an active node's job. */
  #jobState(plan: WorkflowPlan, n: ActiveNode): Promise<string> {
    return nodeJobState(this.#ctx.queues, plan, n.executionId, n.nodeId);
  }

  /**
   * Re-adds the jobs of an execution's listed nodes that Redis lost or that failed on an
   * infrastructure error, and records the crashes; returns how many of each.
   */
  async #repairJobs(
    plan: WorkflowPlan,
    listed: readonly ActiveNode[],
  ): Promise<{ requeued: number; crashes: number }> {
    const stuck = (state: string) => state === 'unknown' || state === 'failed';
    const states = await Promise.all(listed.map((n) => this.#jobState(plan, n)));
    const suspects = listed.filter((_, i) => stuck(states[i]!));
    if (suspects.length === 0) return { requeued: 0, crashes: 0 };
    // Look again: the node may have finished (and its job been removed) or been queued
    // and not yet added while the page was read. Only a node whose status and attempts
    // are unchanged and whose job is still absent (or failed) is repaired.
    const fresh = await this.#ctx.store.getExecution(listed[0]!.executionId);
    const unchanged = suspects.filter((n) => {
      const now = fresh?.nodeResults[n.nodeId];
      return now !== undefined && now.status === n.status && now.attempts === n.attempts;
    });
    const again = await Promise.all(unchanged.map((n) => this.#jobState(plan, n)));
    const missing = unchanged.filter((_, i) => again[i] === 'unknown');
    const lost = fresh === null ? missing : await this.#notCarried(plan, fresh, missing);
    const failed = unchanged.filter((_, i) => again[i] === 'failed');
    const { requeue, crashes } =
      failed.length === 0
        ? { requeue: [], crashes: 0 }
        : await this.#ctx.failedJobs.repair(plan, failed);
    const nodes = [...lost, ...requeue];
    if (nodes.length > 0) await this.#requeue(plan, nodes);
    return { requeued: nodes.length, crashes };
  }

  /**
   * Of running nodes without a job, those no job carries (see CarriedRuns, RiderIndex): a
   * carried run's job is its carrier's, whose crash gives the node a job of its own.
   */
  async #notCarried(
    plan: WorkflowPlan,
    execution: ExecutionState,
    nodes: readonly ActiveNode[],
  ): Promise<ActiveNode[]> {
    const { queues } = this.#ctx;
    const state = (nodeId: string) => nodeJobState(queues, plan, execution.executionId, nodeId);
    const carriers = await Promise.all(
      nodes.map((n) =>
        n.status === 'running' ? carrierOf(plan, execution, n.nodeId, state) : undefined,
      ),
    );
    const left = nodes.filter((n, i) => carriers[i] === undefined && n.status === 'running');
    const ridden = await this.#ctx.riders.carriers(
      plan,
      execution.executionId,
      left.map((n) => n.nodeId),
    );
    return nodes.filter((n, i) => carriers[i] === undefined && !ridden.has(n.nodeId));
  }

  /** Re-adds the jobs of lost nodes of one execution, continuing their attempts. */
  async #requeue(plan: WorkflowPlan, nodes: readonly ActiveNode[]): Promise<void> {
    const first = nodes[0]!;
    const baseAttempts: Record<string, number> = {};
    for (const n of nodes) {
      // A running attempt that lost its job never finished: it runs again under the same
      // number. A delayed node's failed attempt is over: the next one follows it.
      baseAttempts[n.nodeId] = n.status === 'running' ? Math.max(0, n.attempts - 1) : n.attempts;
    }
    await this.#ctx.enqueuer.enqueueNodes(
      plan,
      first.executionId,
      nodes.map((n) => n.nodeId),
      first.tenantId,
      first.priority === undefined
        ? { baseAttempts, continueAttempts: true }
        : { priority: first.priority, baseAttempts, continueAttempts: true },
    );
    this.#ctx.logger.warn('re-enqueued nodes whose jobs were lost', {
      executionId: first.executionId,
      nodes: nodes.map((n) => n.nodeId),
    });
  }

  /** Arms again an execution's lost workflow-timeout timer; true when it did. */
  async #rearmTimeout(plan: WorkflowPlan, n: ActiveNode): Promise<boolean> {
    const timeoutMs = plan.definition.timeoutMs;
    if (timeoutMs === undefined) return false;
    if (await this.#ctx.timeouts.isArmed(n.executionId)) return false;
    await this.#ctx.timeouts.arm(
      n.executionId,
      Math.max(0, Date.parse(n.createdAt) + timeoutMs - Date.now()),
    );
    return true;
  }
}

/** Active nodes grouped by execution, in page order. */
function byExecution(items: readonly ActiveNode[]): Map<string, ActiveNode[]> {
  const groups = new Map<string, ActiveNode[]>();
  for (const n of items) {
    const list = groups.get(n.executionId);
    if (list) list.push(n);
    else groups.set(n.executionId, [n]);
  }
  return groups;
}

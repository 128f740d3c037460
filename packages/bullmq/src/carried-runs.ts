import type { ExecutionState, NodeRegistry, TraceContext, WorkflowPlan } from '@spane/core';
import type { Job } from 'bullmq';
import { executorRegistration } from './built-in-nodes.js';
import type { Handoffs } from './handoffs.js';
import type { InfraRetry, RetryWhile } from './infra-retry.js';
import type { NodeEnqueuer } from './node-enqueuer.js';
import type { NodeJobData } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import { NODE_QUEUE } from './redis-keys.js';
import type { RefusedBegin } from './unstarted-jobs.js';

/**
 * How long one job may go on carrying runs (ms since its processing began): past it, the
 * next node of a chain gets its own job and waits its turn in the queue like any other.
 */
export const CARRY_BUDGET_MS = 1_000;

/**
 * A node type whose runs here take less than this on average (ms, over the last runs) is
 * fast: a job may carry several children of one completion that are of such a type when
 * this process has no free worker slot for them (see {@link CarryChoice.many}).
 */
export const FAST_RUN_MS = 5;

/** Runs of a type this process must have seen before it may count as fast. */
const FAST_AFTER_RUNS = 4;

/**
 * What a completing run's job may carry: called with a child's id, whether the job may
 * carry it (see {@link CarriedRuns.chooser}).
 */
export interface CarryChoice {
  (nodeId: string): boolean;
  /**
   * How many more runs the job may carry now (the job's other runs whose completions are
   * recorded meanwhile count theirs as they choose them).
   */
  left(): number;
  /** How many runs any one job may carry (a sibling's job given riders: see Riders). */
  readonly each: number;
  /**
   * Whether a child may be carried as well as the first the job carries — one of a type
   * that runs fast here, when this process has no free worker slot for it (it would wait
   * for one anyway): its run follows in this job instead of a job of its own.
   */
  many(nodeId: string): boolean;
  /** Counts `n` runs the job is to carry against its budget, as they are chosen. */
  took(n: number): void;
}

/** A child a completion left for the completing run's job to carry. */
export interface CarriedChild {
  nodeId: string;
  /**
   * The run token of the completion that started it, when that was not the carrying job's
   * own run (a rider: see Riders); its run is held by `startedRunToken(token, nodeId)`.
   */
  token?: string | undefined;
  /**
   * True: the completion started it (a handoff holds its run); false: it is only ready,
   * and its carried run begins in the store (a join whose last parent this was).
   */
  started: boolean;
}

/** What {@link CarriedRuns} needs. */
export interface CarriedRunsContext {
  registry: Pick<NodeRegistry, 'has' | 'getRegistration'>;
  /** Only nodes of the node queue are carried (a limited type's go to its own queue). */
  queues: Pick<NodeQueues, 'nameForType'>;
  handoffs: Pick<Handoffs, 'open'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes'>;
  infra: Pick<InfraRetry, 'run'>;
  /** The most runs one job carries after its own (0: none). */
  maxRuns: number;
}

/** A job's processing as far as carrying goes. */
export interface CarrierState {
  job: Pick<Job<NodeJobData>, 'stalledCounter' | 'queueName'>;
  /** Shared by the job's runs: how many runs the job carried or is to carry so far. */
  tally: { carried: number };
  /** When the job's processing began (epoch ms). */
  since: number;
}

/** What a carried run's own job gets when it must have one after all. */
export interface OwnJob {
  priority: number | undefined;
  traceContext: TraceContext | undefined;
  /**
   * The token of the run whose completion started the node: its job's first processing
   * continues the run started then (when it was not begun yet).
   */
  parentRunToken?: string | undefined;
  /** Attempts already made (the job continues after them). */
  attemptsBefore?: number;
  /** Delay before the job runs (a retry's backoff). */
  delayMs?: number;
  lease?: RetryWhile | undefined;
}

/**
 * Runs carried by the job of the node that started them: a node's completion that started
 * a child in this process (a handoff, see {@link Handoffs}) may run that child in the same
 * job right after, instead of adding a job for it and waiting for a worker to take it — no
 * add, fetch and finish of a job for the next node of a chain. The carried run is the
 * child's first attempt under the token its parent's completion started it with (or, for a
 * join the completion made ready, a first attempt begun in the store); while it
 * runs, its parent's job (the carrier) is its job: a crash puts the carrier back in the
 * queue (BullMQ's stalled check) and its re-run, finding its node completed, adds the jobs
 * of the nodes it carried that never finished (see RecordedWork), and the reconciler
 * leaves a carried node alone while its carrier is active.
 *
 * A job carries at most `maxRuns` runs and for at most {@link CARRY_BUDGET_MS}, never after
 * its worker was lost (so a node that kills its worker fails by its own job's crash count),
 * only from the node queue (a limited type's job holds one of that type's slots), and only
 * nodes of types without a circuit breaker. A carried attempt that fails with
 * retries left gets its own job for the next attempt.
 */
export class CarriedRuns {
  readonly #ctx: CarriedRunsContext;
  /** Per node type, the mean duration of its last runs here (ms) and how many were seen. */
  readonly #speed = new Map<string, { meanMs: number; runs: number }>();

  constructor(ctx: CarriedRunsContext) {
    this.#ctx = ctx;
  }

  /** A run of `type` took `durationMs` here (a moving mean over about the last 10 runs). */
  observe(type: string, durationMs: number): void {
    const speed = this.#speed.get(type);
    if (speed === undefined) this.#speed.set(type, { meanMs: durationMs, runs: 1 });
    else {
      speed.meanMs += (durationMs - speed.meanMs) / Math.min(speed.runs + 1, 10);
      speed.runs += 1;
    }
  }

  /** Whether runs of `type` are fast here (see {@link FAST_RUN_MS}). */
  fast(type: string): boolean {
    const speed = this.#speed.get(type);
    return speed !== undefined && speed.runs >= FAST_AFTER_RUNS && speed.meanMs < FAST_RUN_MS;
  }

  /**
   * Which of a completing node's started children the job may carry next (a predicate on
   * their ids), or undefined when it may carry none.
   */
  chooser(plan: WorkflowPlan, carrier: CarrierState, now = Date.now()): CarryChoice | undefined {
    // Within its runs and time, not while the workers close or abort orders cannot reach
    // this process (Redis is away: the run would go on unseen, its events unsent), nor
    // under a workflow's `maxConcurrency` (its slots are counted by job).
    const { tally } = carrier;
    const { maxRuns } = this.#ctx;
    if (tally.carried >= maxRuns || !this.goesOn(carrier, now)) return undefined;
    if (plan.definition.maxConcurrency !== undefined) return undefined;
    if ((carrier.job.stalledCounter ?? 0) > 0) return undefined;
    // A job of a limited type's queue holds one of that type's slots: it carries nothing.
    if (carrier.job.queueName !== NODE_QUEUE) return undefined;
    // The first child while the job has runs left; `many` (also asked of the jobs of
    // children handed to free slots, which carry riders on budgets of their own) by type.
    const accepts = (nodeId: string): boolean =>
      tally.carried < maxRuns && this.#carriable(plan, nodeId);
    const many = (nodeId: string): boolean =>
      this.fast(plan.nodes.get(nodeId)?.type ?? '') && this.#carriable(plan, nodeId);
    const left = () => maxRuns - tally.carried;
    const took = (n: number) => {
      tally.carried += n;
    };
    return Object.assign(accepts, { left, each: maxRuns, many, took });
  }

  /**
   * Whether a job that began processing at `carrier.since` may go on carrying the runs it
   * has left to carry: within its time, while the workers do not close and abort orders
   * reach this process (else each gets a job of its own).
   */
  goesOn(carrier: { since: number }, now = Date.now()): boolean {
    return this.#ctx.handoffs.open && now - carrier.since < CARRY_BUDGET_MS;
  }

  /** A node of a type run by its executor here, from the node queue, without a breaker. */
  #carriable(plan: WorkflowPlan, nodeId: string): boolean {
    const type = plan.nodes.get(nodeId)?.type ?? '';
    const registration = executorRegistration(this.#ctx.registry, type);
    if (registration === undefined) return false;
    if (this.#ctx.queues.nameForType(type) !== NODE_QUEUE) return false;
    return registration.options.breaker === undefined;
  }

  /**
   * A carried node whose begin the store refused: while its execution is paused it gets a
   * job of its own (which parks, as any job of a paused execution does); else its
   * execution ended or another run settled it, and nothing is left to do. A rider's job
   * continues the run its completion started (`own.parentRunToken`: see CarriedChild.token).
   */
  async refused(
    plan: WorkflowPlan,
    p: { data: NodeJobData; lease?: RetryWhile | undefined },
    begun: RefusedBegin,
    own: { priority: number | undefined; parentRunToken?: string | undefined },
  ): Promise<void> {
    if (begun.reason !== 'execution-not-active' || begun.executionStatus !== 'paused') return;
    const traceContext = p.data.traceContext;
    await this.addOwnJob(plan, p.data, { ...own, traceContext, lease: p.lease });
  }

  /** Adds the job of a carried node that must run on its own (a retry, a refused take). */
  addOwnJob(plan: WorkflowPlan, data: NodeJobData, own: OwnJob): Promise<void> {
    const { nodeId, executionId, tenantId } = data;
    const attemptsBefore = own.attemptsBefore ?? 0;
    return this.#ctx.infra.run(
      `enqueue of node '${nodeId}'`,
      () =>
        this.#ctx.enqueuer.enqueueNodes(plan, executionId, [nodeId], tenantId, {
          priority: own.priority,
          traceContext: own.traceContext,
          ...(own.delayMs ? { delay: own.delayMs } : {}),
          ...(attemptsBefore > 0
            ? { baseAttempts: { [nodeId]: attemptsBefore }, continueAttempts: true }
            : {}),
          ...(own.parentRunToken === undefined
            ? {}
            : { started: { runToken: own.parentRunToken, nodes: [nodeId] } }),
        }),
      own.lease,
    );
  }
}

/** The job data a carried node's own job would have had. */
export function carriedJobData(carrier: NodeJobData, nodeId: string): NodeJobData {
  const data: NodeJobData = {
    executionId: carrier.executionId,
    workflowId: carrier.workflowId,
    workflowVersion: carrier.workflowVersion,
    nodeId,
    tenantId: carrier.tenantId,
  };
  if (carrier.traceContext !== undefined) data.traceContext = carrier.traceContext;
  return data;
}

/** The most ancestors' jobs {@link carrierOf} looks at for one node. */
const CARRIER_LOOKUPS = 32;

/**
 * The node whose job may be carrying `nodeId` now (a `running` node without a job of its
 * own): among its completed ancestors — up through completed parents whose jobs are gone,
 * the one that finished last first (its completion made the node ready) — the nearest
 * whose job is active, looking at {@link CARRIER_LOOKUPS} jobs at most. Jobs of completed
 * nodes are removed as they finish, so an active one is carrying, or about to finish.
 * `jobState` reads a node's job state ('unknown' when there is no job).
 */
export async function carrierOf(
  plan: WorkflowPlan,
  execution: Pick<ExecutionState, 'nodeResults'>,
  nodeId: string,
  jobState: (nodeId: string) => Promise<string>,
): Promise<string | undefined> {
  const finished = (id: string) => execution.nodeResults[id]?.finishedAt ?? '';
  const seen = new Set<string>([nodeId]);
  const queue = [nodeId];
  let lookups = 0;
  while (queue.length > 0 && lookups < CARRIER_LOOKUPS) {
    const id = queue.shift()!;
    const parents = (plan.parents.get(id) ?? [])
      .filter((q) => !seen.has(q) && execution.nodeResults[q]?.status === 'completed')
      .sort((a, b) => finished(b).localeCompare(finished(a)));
    for (const q of parents) {
      if (lookups >= CARRIER_LOOKUPS) break;
      seen.add(q);
      lookups += 1;
      const state = await jobState(q);
      if (state === 'active') return q;
      if (state === 'unknown') queue.push(q);
    }
  }
  return undefined;
}

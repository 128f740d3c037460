import type {
  ExecutionState,
  NodeRegistry,
  NodeState,
  NodeTypeRegistration,
  NodeWaitReason,
  WorkflowPlan,
} from '@spane/core';
import type { Job, Queue } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import { executorRegistration } from './built-in-nodes.js';
import { carrierOf } from './carried-runs.js';
import { DELAY_NODE } from './delay-node.js';
import { type NodeJobData, nodeJobId } from './node-jobs.js';
import { isLimited, type NodeQueues, nodeJobState } from './node-queues.js';
import type { Reconciler } from './reconciler.js';
import type { RedisKeys } from './redis-keys.js';
import type { RiderIndex } from './riders.js';

/** What {@link NodeJobReasons} needs. */
export interface NodeJobReasonsContext {
  redis: Redis;
  keys: Pick<RedisKeys, 'concurrency' | 'concurrencyMember' | 'concurrencyJob' | 'breaker'>;
  queues: Pick<NodeQueues, 'forNode'>;
  registry: Pick<NodeRegistry, 'has' | 'getRegistration'>;
  /** Which sibling's job carries a rider (see RiderIndex). */
  riders: Pick<RiderIndex, 'carriers'>;
  /** When this process's next reconcile pass runs (undefined: it runs none). */
  reconciler: Pick<Reconciler, 'nextRunAt'>;
}

/** One node whose job is looked at: its execution, plan, id and record. */
export interface JobNode {
  execution: ExecutionState;
  plan: WorkflowPlan;
  nodeId: string;
  state: NodeState;
}

/** BullMQ orders delayed jobs by `due * 0x1000 + counter`. */
const DELAY_SCORE_SHIFT = 0x1000;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Why a node that should have a job (`queued`, `running` or `delayed` in the store) is
 * where it is, read from its job in Redis: running (and whether its worker still holds
 * the job's lock), queued (its place in BullMQ's taking order), held by its type's rate
 * limit or concurrency, parked for a `maxConcurrency` slot or by its type's circuit
 * breaker, asleep as a delay node or a retry, or lost. Reads the state each mechanism
 * keeps (its keys and BullMQ's), never changes anything; each read is bounded (no scan
 * of a queue's jobs in this process).
 */
export class NodeJobReasons {
  readonly #ctx: NodeJobReasonsContext;

  constructor(ctx: NodeJobReasonsContext) {
    this.#ctx = ctx;
  }

  /** The reason of the node, from its job. */
  async reason(n: JobNode): Promise<NodeWaitReason> {
    const queue = this.#ctx.queues.forNode(n.plan, n.nodeId);
    const jobId = nodeJobId(n.execution.executionId, n.nodeId);
    const [state, job] = await Promise.all([queue.getJobState(jobId), queue.getJob(jobId)]);
    switch (state) {
      case 'active':
        return this.#running(n, queue, jobId);
      case 'waiting':
      case 'prioritized':
        return this.#waiting(n, queue, jobId, state);
      case 'delayed':
        return job ? this.#delayed(n, queue, job) : this.#lost(n);
      case 'unknown':
        return this.#carried(n);
      case 'failed':
        return {
          kind: 'unknown',
          detail: `its job sits in BullMQ's failed set of ${queue.name} (its worker was lost too often or Redis failed); the next reconcile pass repairs it`,
        };
      default:
        return {
          kind: 'unknown',
          detail: `its job is ${state} in ${queue.name} while the store says ${n.state.status}: the store has not caught up yet`,
        };
    }
  }

  /** The wake time (epoch ms) its job sleeps until (a delay or a wait's timeout), if any. */
  async wakeAt(n: JobNode): Promise<number | undefined> {
    const queue = this.#ctx.queues.forNode(n.plan, n.nodeId);
    const job = await queue.getJob(nodeJobId(n.execution.executionId, n.nodeId));
    return job?.data.delayWakeAt;
  }

  /** A job a worker holds: whether the worker's lock on it is still there. */
  async #running(n: JobNode, queue: Queue<NodeJobData>, jobId: string): Promise<NodeWaitReason> {
    const locked = await this.#ctx.redis.exists(`${queue.toKey(jobId)}:lock`);
    const begun = n.state.status === 'running';
    return {
      kind: 'running',
      // Taken but not begun yet: the attempt it is about to make.
      attempt: begun ? n.state.attempts : n.state.attempts + 1,
      ...(begun && n.state.startedAt !== undefined ? { startedAt: n.state.startedAt } : {}),
      workerAlive: locked === 1,
    };
  }

  /** A job waiting for a worker: its node type's limits, else its place in the queue. */
  async #waiting(
    n: JobNode,
    queue: Queue<NodeJobData>,
    jobId: string,
    state: 'waiting' | 'prioritized',
  ): Promise<NodeWaitReason> {
    const place = await placeInQueue(this.#ctx.redis, queue, jobId, state);
    const nodeType = n.plan.nodes.get(n.nodeId)?.type ?? '';
    const reg = this.#registration(nodeType);
    if (reg && isLimited(reg)) {
      const { rateLimit, concurrency } = reg.options;
      if (rateLimit !== undefined) {
        const ttl = await queue.getRateLimitTtl();
        if (ttl > 0)
          return { kind: 'rate-limited', nodeType, retryAt: iso(Date.now() + ttl), ...place };
      }
      if (concurrency !== undefined) {
        const running = await queue.getActiveCount();
        if (running >= concurrency) {
          return { kind: 'type-concurrency', nodeType, limit: concurrency, running, ...place };
        }
      }
    }
    if (place === undefined) {
      return {
        kind: 'unknown',
        detail: `its job left its place in ${queue.name} while it was looked at: ask again`,
      };
    }
    return { kind: 'queued', queue: queue.name, ...place };
  }

  /** A job asleep in BullMQ's delayed set: who put it there, and until when. */
  async #delayed(
    n: JobNode,
    queue: Queue<NodeJobData>,
    job: Job<NodeJobData>,
  ): Promise<NodeWaitReason> {
    const score = await this.#ctx.redis.zscore(queue.keys.delayed!, job.id!);
    const due =
      score === null ? job.timestamp + job.delay : Math.floor(Number(score) / DELAY_SCORE_SHIFT);
    const member = this.#ctx.keys.concurrencyMember(queue.name, job.id);
    const nodeType = n.plan.nodes.get(n.nodeId)?.type ?? '';
    const held = (await this.#gate(n, member)) ?? (await this.#breaker(nodeType, member));
    if (held) return held;
    if (nodeType === DELAY_NODE && job.data.delayWakeAt !== undefined) {
      return { kind: 'delayed', until: iso(job.data.delayWakeAt) };
    }
    const { status, error, attempts } = n.state;
    if (status === 'delayed' && error !== undefined && attempts >= 1) {
      return { kind: 'retrying', attempt: attempts + 1, nextTryAt: iso(due), lastError: error };
    }
    if (job.data.typeWaitSince !== undefined) {
      return {
        kind: 'unknown',
        detail: `no worker that has node type '${nodeType}' took its job since ${iso(job.data.typeWaitSince)}; it is offered again at ${iso(due)}`,
      };
    }
    return { kind: 'delayed', until: iso(due) };
  }

  /** Parked for a slot of the workflow's `maxConcurrency`: the runs that hold the slots. */
  async #gate(n: JobNode, member: string): Promise<NodeWaitReason | undefined> {
    const limit = n.plan.definition.maxConcurrency;
    if (limit === undefined) return undefined;
    const keys = this.#ctx.keys.concurrency(n.execution.tenantId, n.plan.workflowId);
    if ((await this.#ctx.redis.zscore(keys.waiting, member)) === null) return undefined;
    // Slots whose holder stopped refreshing them have expired: they are free again.
    const members = await this.#ctx.redis.zrangebyscore(keys.slots, `(${Date.now()}`, '+inf');
    const holders = members.map((m) => {
      const { jobId } = this.#ctx.keys.concurrencyJob(m);
      const dot = jobId.indexOf('.');
      return { executionId: jobId.slice(0, dot), nodeId: jobId.slice(dot + 1) };
    });
    return { kind: 'max-concurrency', limit, holders };
  }

  /** Delayed by its type's open (or half-open) circuit breaker. */
  async #breaker(nodeType: string, member: string): Promise<NodeWaitReason | undefined> {
    if (!this.#registration(nodeType)?.options.breaker) return undefined;
    const keys = this.#ctx.keys.breaker(nodeType);
    const [state, until, noted] = await replies(
      this.#ctx.redis
        .multi()
        .hget(keys.state, 'state')
        .hget(keys.state, 'until')
        .sismember(keys.waiting, member),
    );
    if ((state !== 'open' && state !== 'half-open') || Number(noted) !== 1) return undefined;
    return { kind: 'breaker-open', nodeType, until: iso(Number(until)) };
  }

  /**
   * No job of its own: a running node that an ancestor's active job carries (see
   * CarriedRuns), or a sibling's job has as a rider (see RiderIndex), runs in that job;
   * else it is lost.
   */
  async #carried(n: JobNode): Promise<NodeWaitReason> {
    const { queues } = this.#ctx;
    const executionId = n.execution.executionId;
    const jobState = (id: string) => nodeJobState(queues, n.plan, executionId, id);
    const running = n.state.status === 'running';
    const carrier = running
      ? ((await carrierOf(n.plan, n.execution, n.nodeId, jobState)) ??
        (await this.#ctx.riders.carriers(n.plan, executionId, [n.nodeId])).get(n.nodeId))
      : undefined;
    if (carrier === undefined) return this.#lost(n);
    return this.#running(n, queues.forNode(n.plan, carrier), nodeJobId(executionId, carrier));
  }

  /** No job in Redis: the reconciler adds it again (in a pending or running execution). */
  #lost(n: JobNode): NodeWaitReason {
    const next = this.#ctx.reconciler.nextRunAt();
    return {
      kind: 'lost',
      status: n.state.status,
      ...(next === undefined ? {} : { reconcileAt: iso(next) }),
    };
  }

  /** The registration of a type run by its executor in this process (not a built-in). */
  #registration(nodeType: string): NodeTypeRegistration | undefined {
    return executorRegistration(this.#ctx.registry, nodeType);
  }
}

/**
 * A waiting job's place in the order BullMQ's workers take its queue's jobs: the wait
 * list first (from its right end), then the prioritized set (lowest score first). Two or
 * three bounded commands, run in Redis (`LPOS` is a server-side walk of the list).
 */
export async function placeInQueue(
  redis: Redis,
  queue: Pick<Queue, 'keys'>,
  jobId: string,
  state: 'waiting' | 'prioritized',
): Promise<{ position: number; ahead: number } | undefined> {
  const { wait, prioritized } = queue.keys as { wait: string; prioritized: string };
  let ahead: number;
  if (state === 'waiting') {
    const [length, index] = await replies(redis.multi().llen(wait).lpos(wait, jobId));
    if (index === null) return undefined;
    ahead = Math.max(0, Number(length) - 1 - Number(index));
  } else {
    const [length, score] = await replies(redis.multi().llen(wait).zscore(prioritized, jobId));
    if (score === null) return undefined;
    const before = await redis.zcount(prioritized, '-inf', `(${score}`);
    ahead = Number(length) + before;
  }
  return { position: ahead + 1, ahead };
}

/** The replies of a transaction, in order. @throws the first command's error */
async function replies(multi: ChainableCommander): Promise<unknown[]> {
  const results = await multi.exec();
  if (results === null) throw new Error('a Redis transaction was discarded');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

import type { NodeRegistry, NodeTypeRegistration, WorkflowPlan } from '@spane/core';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BUILT_IN_NODE_TYPES, executorRegistration } from './built-in-nodes.js';
import type { EngineLogger } from './engine-options.js';
import { type NodeJobData, nodeJobId } from './node-jobs.js';
import { NODE_QUEUE, typeQueueName } from './redis-keys.js';

// Queue names are named with the engine's other Redis names (also for the tests' use).
export { NODE_QUEUE, typeQueueName } from './redis-keys.js';

/** True when a node type's registration asks for limits that need a queue of its own. */
export function isLimited(reg: NodeTypeRegistration | undefined): boolean {
  return (
    reg !== undefined &&
    (reg.options.rateLimit !== undefined || reg.options.concurrency !== undefined)
  );
}

/**
 * The node queues of one engine: `nodes` for every node type without limits, and one queue
 * per node type registered with `rateLimit` or `concurrency` (BullMQ enforces both per
 * queue, across every worker of every process, so limited types never slow the others).
 * Which queue a node goes to is decided from the registry when its job is added: every
 * process that enqueues work must register the same node types with the same options.
 * Job ids are the same in every queue (`<executionId>.<nodeId>`).
 */
/** The state of a node's job in its queue ('unknown' when there is none). */
export function nodeJobState(
  queues: Pick<NodeQueues, 'forNode'>,
  plan: WorkflowPlan,
  executionId: string,
  nodeId: string,
): Promise<string> {
  return queues.forNode(plan, nodeId).getJobState(nodeJobId(executionId, nodeId));
}

export class NodeQueues {
  readonly #queues = new Map<string, Queue<NodeJobData>>();
  readonly #registry: NodeRegistry;
  readonly #connection: Redis;
  readonly #prefix: string;
  readonly #logger: EngineLogger;

  constructor(registry: NodeRegistry, connection: Redis, prefix: string, logger: EngineLogger) {
    this.#registry = registry;
    this.#connection = connection;
    this.#prefix = prefix;
    this.#logger = logger;
    this.get(NODE_QUEUE);
  }

  /** The unlimited queue. */
  get default(): Queue<NodeJobData> {
    return this.get(NODE_QUEUE);
  }

  /** The queue a node of this type goes to. */
  nameForType(type: string): string {
    const reg = executorRegistration(this.#registry, type);
    return isLimited(reg) ? typeQueueName(type) : NODE_QUEUE;
  }

  forType(type: string): Queue<NodeJobData> {
    return this.get(this.nameForType(type));
  }

  forNode(plan: WorkflowPlan, nodeId: string): Queue<NodeJobData> {
    return this.forType(plan.nodes.get(nodeId)?.type ?? '');
  }

  /** The queue of this name, created on first use. */
  get(name: string): Queue<NodeJobData> {
    let queue = this.#queues.get(name);
    if (!queue) {
      // BullMQ's per-queue event stream is capped: the engine's own events go over pub/sub.
      queue = new Queue<NodeJobData>(name, {
        connection: this.#connection,
        prefix: this.#prefix,
        streams: { events: { maxLen: 1_000 } },
      });
      queue.on('error', (err) => this.#logger.warn('queue error', { error: err.message }));
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Registrations of the node types that have limits (and so a queue of their own). */
  limitedTypes(): NodeTypeRegistration[] {
    return this.#registry
      .types()
      .filter((t) => !BUILT_IN_NODE_TYPES.has(t))
      .map((t) => this.#registry.getRegistration(t))
      .filter(isLimited);
  }

  /** The default queue and the queue of every limited type registered now. */
  all(): Queue<NodeJobData>[] {
    for (const reg of this.limitedTypes()) this.forType(reg.type);
    return [...this.#queues.values()];
  }

  /** The queues opened so far (none is opened by this call). */
  opened(): Queue<NodeJobData>[] {
    return [...this.#queues.values()];
  }

  /** Closes every queue, each once its connection set-up has settled (see closeQueue). */
  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map(closeQueue));
  }
}

/**
 * Closes a queue once its connection set-up (BullMQ's `waitUntilReady`) has settled. BullMQ
 * removes a queue's listeners when it closes, also while that set-up is still in flight
 * on a shared connection; the set-up's later failure (the connection ends) is then emitted
 * with no listener: an unhandled rejection that ends the process. Waiting first makes the
 * failure reach the queue's `error` listener. While Redis does not answer, this waits
 * for the connection to end (the engine's close() stops waiting after its own bound).
 */
export async function closeQueue(queue: Pick<Queue, 'waitUntilReady' | 'close'>): Promise<void> {
  await queue.waitUntilReady().catch(() => undefined);
  await queue.close();
}

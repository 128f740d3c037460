/** The queue of every node type without limits. */
export const NODE_QUEUE = 'nodes';

/** The queue of workflow timeouts and schedule firings. */
export const CONTROL_QUEUE = 'control';

/**
 * The queue of a node type registered with `rateLimit` or `concurrency`: `nodes-<type>`,
 * characters BullMQ does not allow in a queue name (`:`) or that would be ambiguous
 * (`/`, `~`) written as `~<hex>`.
 */
export function typeQueueName(type: string): string {
  return `${NODE_QUEUE}-${type.replace(/[^A-Za-z0-9_.-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`)}`;
}

/** The keys of one workflow's `maxConcurrency` gate (see ConcurrencyGate). */
export interface ConcurrencyKeys {
  /** Sorted set: the jobs holding a slot → when the slot expires (ms). */
  slots: string;
  /** Sorted set: the jobs waiting for a slot → when they arrived (ms). */
  waiting: string;
  /** The gate's field in {@link RedisKeys.concurrencyIndex}. */
  field: string;
}

/**
 * Every Redis key and pub/sub channel name the engine uses besides BullMQ's own (which
 * BullMQ builds from a queue name and the same prefix): all of them start with the
 * engine's `prefix`, so engines with different prefixes share a Redis without meeting.
 */
export class RedisKeys {
  /** The prefix every name starts with. */
  readonly prefix: string;
  /** Pub/sub channel of workflow events and abort orders. */
  readonly channel: string;
  /** Pub/sub channel of node-level events (`node:*`). */
  readonly nodeChannel: string;
  /** Set of child execution ids whose sub-workflow node waits (the reconciler's safety net). */
  readonly subWorkflows: string;
  /** Hash: `tenant\0workflow` → its `maxConcurrency`, for every workflow with a gate. */
  readonly concurrencyIndex: string;
  /** Hash: `METHOD path` → the workflows a webhook route starts (JSON). */
  readonly webhookRoutes: string;
  /** Hash: workflow (JSON `[tenant, id]`) → its webhook routes (JSON). */
  readonly webhookOwners: string;
  /** Hash: workflow (JSON `[tenant, id]`) → its job scheduler ids (JSON). */
  readonly schedules: string;
  readonly #deliveries: string;
  readonly #parked: string;
  readonly #concurrency: string;
  readonly #crashes: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.channel = `${prefix}:channel`;
    this.nodeChannel = `${prefix}:channel:node`;
    this.subWorkflows = `${prefix}:subworkflows`;
    this.concurrencyIndex = `${prefix}:concurrency`;
    this.webhookRoutes = `${prefix}:webhooks`;
    this.webhookOwners = `${prefix}:webhooks:owners`;
    this.schedules = `${prefix}:schedules`;
    this.#deliveries = `${prefix}:webhook-delivery:`;
    this.#parked = `${prefix}:parked:`;
    this.#concurrency = `${prefix}:concurrency:`;
    this.#crashes = `${prefix}:crashes:`;
  }

  /**
   * Set of the runs of one node job that started and have not ended (see CrashGuard): the
   * job's queue, id and creation time, so a job added again with the same id starts afresh.
   */
  crashes(queueName: string, jobId: string, createdAt: number): string {
    return `${this.#crashes}${queueName}:${jobId}:${createdAt}`;
  }

  /** Set of the job ids parked while the execution is paused (resume wakes them). */
  parked(executionId: string): string {
    return this.#parked + executionId;
  }

  /** The slot and waiter sets of a workflow's `maxConcurrency` gate (per tenant). */
  concurrency(tenantId: string, workflowId: string): ConcurrencyKeys {
    const base = `${this.#concurrency}${tenantId}:${workflowId}`;
    return {
      slots: `${base}:slots`,
      waiting: `${base}:waiting`,
      field: this.concurrencyField(tenantId, workflowId),
    };
  }

  /** A workflow's field in {@link RedisKeys.concurrencyIndex}. */
  concurrencyField(tenantId: string, workflowId: string): string {
    return `${tenantId}\u0000${workflowId}`;
  }

  /** The workflow a field of {@link RedisKeys.concurrencyIndex} names. */
  concurrencyOwner(field: string): { tenantId: string; workflowId: string } {
    const [tenantId, workflowId] = field.split('\u0000') as [string, string];
    return { tenantId, workflowId };
  }

  /** A job's member in a gate's sets: `<queue>/<jobId>`. */
  concurrencyMember(queueName: string, jobId: string | undefined): string {
    return `${queueName}/${jobId}`;
  }

  /** The job a member of a gate's sets names. */
  concurrencyJob(member: string): { queueName: string; jobId: string } {
    const slash = member.indexOf('/');
    return { queueName: member.slice(0, slash), jobId: member.slice(slash + 1) };
  }

  /** Marks a webhook delivery id as seen on a route (expires after 10 minutes). */
  webhookDelivery(route: string, deliveryId: string): string {
    return `${this.#deliveries}${route}:${deliveryId}`;
  }
}

/** Id of the BullMQ job scheduler of a workflow's `index`-th trigger (a cron schedule). */
export function schedulerId(tenantId: string, workflowId: string, index: number): string {
  return `spane.schedule.${encodeURIComponent(tenantId)}.${workflowId}.${index}`;
}

/**
 * Idempotency key of the execution a schedule starts for one slot: a firing job re-run
 * after a crash starts nothing new.
 */
export function scheduleIdempotencyKey(schedulerId: string, slot: number): string {
  return `spane.schedule.${schedulerId}.${slot}`;
}

/**
 * Idempotency key of the execution a webhook delivery starts for one workflow: a sender
 * retrying a delivery that failed half-way gets the same runs.
 */
export function webhookIdempotencyKey(workflowId: string, route: string, deliveryId: string) {
  return `spane.webhook.${workflowId}.${route}.${deliveryId}`;
}

/**
 * Idempotency key of the child started by one attempt of a sub-workflow node: a re-run of
 * the attempt after a crash finds the same child; a new attempt (a DLQ retry) starts a new
 * one.
 */
export function childIdempotencyKey(executionId: string, nodeId: string, attempt: number) {
  return `spane.sub.${executionId}.${nodeId}.${attempt}`;
}

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

/** The keys of one tenant's active-execution quota (see ExecutionQuota). */
export interface QuotaKeys {
  /** Sorted set: the tenant's active executions → when the slot was reserved or last checked (ms). */
  slots: string;
  /** Sorted set: idempotency keys of the tenant's starts → when first used (ms). */
  keys: string;
  /** The tenant's field in {@link RedisKeys.quotaIndex}. */
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
  /** Hash: tenant → 1, for every tenant with active-execution quota slots. */
  readonly quotaIndex: string;
  /** Hash: a route (see {@link webhookRoute}) → the workflows it starts (JSON). */
  readonly webhookRoutes: string;
  /** Hash: workflow (JSON `[tenant, id]`) → its webhook routes (JSON). */
  readonly webhookOwners: string;
  /** Hash: workflow (JSON `[tenant, id]`) → its job scheduler ids (JSON). */
  readonly schedules: string;
  /** Hash: worker id → its heartbeat (JSON; see WorkerHeartbeat). */
  readonly workers: string;
  readonly #deliveries: string;
  readonly #parked: string;
  readonly #concurrency: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.channel = `${prefix}:channel`;
    this.nodeChannel = `${prefix}:channel:node`;
    this.subWorkflows = `${prefix}:subworkflows`;
    this.concurrencyIndex = `${prefix}:concurrency`;
    this.quotaIndex = `${prefix}:quota`;
    this.webhookRoutes = `${prefix}:webhooks`;
    this.webhookOwners = `${prefix}:webhooks:owners`;
    this.schedules = `${prefix}:schedules`;
    this.workers = `${prefix}:workers`;
    this.#deliveries = `${prefix}:webhook-delivery:`;
    this.#parked = `${prefix}:parked:`;
    this.#concurrency = `${prefix}:concurrency:`;
  }

  /** A node type's circuit breaker: its state hash, and the set of the jobs it delays. */
  breaker(nodeType: string): { state: string; waiting: string } {
    const base = `${this.prefix}:breaker:${keyPart(nodeType)}`;
    return { state: base, waiting: `${base}:waiting` };
  }

  /**
   * The state of one attempt of a map node (see MapNodes): its counters, its items (index →
   * JSON), its items' results and the items whose child execution was started.
   */
  map(executionId: string, nodeId: string, attempt: number): MapKeys {
    const base = `${this.prefix}:map:${keyPart(executionId)}:${keyPart(nodeId)}:${attempt}`;
    return {
      state: base,
      items: `${base}:items`,
      results: `${base}:results`,
      live: `${base}:live`,
    };
  }

  /** Set of the map node attempts under way (JSON `[executionId, nodeId, attempt]`), for the reconciler. */
  get maps(): string {
    return `${this.prefix}:maps`;
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

  /** Hash of an execution's riders (see Riders): rider node → the node whose job carries it. */
  riders(executionId: string): string {
    return `${this.prefix}:riders:${keyPart(executionId)}`;
  }

  /** The keys of a tenant's active-execution quota. */
  quota(tenantId: string): QuotaKeys {
    const base = `${this.quotaIndex}:${keyPart(tenantId)}`;
    return { slots: `${base}:active`, keys: `${base}:keys`, field: tenantId };
  }

  /** The lock of a tenant's workflow registrations (see RegistrationLock). */
  registrationLock(tenantId: string): string {
    return `${this.quotaIndex}:${keyPart(tenantId)}:registering`;
  }

  /** Marks a webhook delivery id as seen on a route (see {@link webhookRoute}). */
  webhookDelivery(route: string, deliveryId: string): string {
    return `${this.#deliveries}${route}:${keyPart(deliveryId)}`;
  }
}

/** The Redis keys of one attempt of a map node (see {@link RedisKeys.map}). */
export interface MapKeys {
  /** Hash: total, next, done, failed, concurrency, childWorkflowId, childVersion[, halted]. */
  state: string;
  /** Hash: item index → the item as JSON. */
  items: string;
  /** Hash: item index → its result as JSON. */
  results: string;
  /** Set: indexes of the items whose child execution was started and has no result yet. */
  live: string;
}

/**
 * One part of a composite key or id, written so that no two strings give the same text
 * and the result holds none of the separators `.`, `:`, `/`: `A-Z a-z 0-9 _ -` stay as
 * they are, any other ASCII character becomes `%XX` and any other UTF-16 code unit
 * `%uXXXX` (upper-case hex). Parts joined by a separator are then injective too: tenant
 * `acme` and workflow `prod.billing` never meet tenant `acme.prod` and workflow `billing`.
 */
export function keyPart(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x80
      ? `%${code.toString(16).toUpperCase().padStart(2, '0')}`
      : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** The string a {@link keyPart} stands for, or undefined when `text` is not one. */
export function parseKeyPart(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '%') {
      out += text[i];
      i += 1;
      continue;
    }
    const wide = text[i + 1] === 'u';
    const hex = wide ? text.slice(i + 2, i + 6) : text.slice(i + 1, i + 3);
    if (!/^[0-9A-F]+$/.test(hex) || hex.length !== (wide ? 4 : 2)) return undefined;
    out += String.fromCharCode(Number.parseInt(hex, 16));
    i += wide ? 6 : 3;
  }
  return keyPart(out) === text ? out : undefined;
}

/**
 * A webhook route of one tenant: `<tenant>:<METHOD>:<path>`, each a {@link keyPart}
 * (the path without leading or trailing slashes).
 */
export function webhookRoute(tenantId: string, method: string, path: string): string {
  return `${keyPart(tenantId)}:${keyPart(method.toUpperCase())}:${keyPart(path)}`;
}

const SCHEDULER_PREFIX = 'spane.schedule.';

/**
 * Id of the BullMQ job scheduler of a workflow's `index`-th trigger (a cron schedule):
 * `spane.schedule.<tenant>.<workflow>.<index>`, tenant and workflow each a {@link keyPart}.
 */
export function schedulerId(tenantId: string, workflowId: string, index: number): string {
  return `${SCHEDULER_PREFIX}${keyPart(tenantId)}.${keyPart(workflowId)}.${index}`;
}

/**
 * Whether `id` is a scheduler id of the engine written before tenant and workflow were
 * each escaped (`spane.schedule.<tenant, URI-encoded>.<workflow>.<index>`), which two
 * workflows could share; a current id, or one whose old and current spellings are the
 * same, is not.
 */
export function isLegacySchedulerId(id: string): boolean {
  if (!id.startsWith(SCHEDULER_PREFIX)) return false;
  const parts = id.slice(SCHEDULER_PREFIX.length).split('.');
  if (parts.length !== 3) return true;
  const [tenant, workflow, index] = parts as [string, string, string];
  return (
    parseKeyPart(tenant) === undefined ||
    parseKeyPart(workflow) === undefined ||
    !/^(0|[1-9][0-9]*)$/.test(index)
  );
}

/** The trigger index a scheduler id (current or legacy) ends with. */
export function schedulerIndex(id: string): number {
  return Number(id.slice(id.lastIndexOf('.') + 1));
}

/**
 * Idempotency key of the execution a schedule starts for one slot: a firing job re-run
 * after a crash starts nothing new. Built from the current {@link schedulerId}, so a
 * legacy scheduler and its replacement firing the same slot start one execution.
 */
export function scheduleIdempotencyKey(schedulerId: string, slot: number): string {
  return `spane.schedule.${schedulerId}.${slot}`;
}

/**
 * Idempotency key of the execution a webhook delivery starts for one workflow: a sender
 * retrying a delivery that failed half-way gets the same runs. `route` is a
 * {@link webhookRoute}.
 */
export function webhookIdempotencyKey(workflowId: string, route: string, deliveryId: string) {
  return `spane.webhook.${keyPart(workflowId)}:${route}:${keyPart(deliveryId)}`;
}

/**
 * Idempotency key of the child started by one attempt of a sub-workflow node: a re-run of
 * the attempt after a crash finds the same child; a new attempt (a DLQ retry) starts a new
 * one.
 */
export function childIdempotencyKey(executionId: string, nodeId: string, attempt: number) {
  return `spane.sub.${executionId}.${nodeId}.${attempt}`;
}

import {
  InvalidArgumentError,
  isRetryPolicy,
  MAX_TIMEOUT_MS,
  type RetryPolicy,
  type SecretVault,
  type SpaneLimits,
} from '@spane/core';
import { enginePrefix } from './redis-cluster.js';
import { type TenantQuotaOptions, TenantQuotas } from './tenant-quotas.js';

/** Where the engine's own diagnostics go (not execution logs, which go to the store). */
export interface EngineLogger {
  /** Detail for debugging (the default logger drops it). */
  debug(message: string, meta?: Record<string, unknown>): void;
  /** Normal operation (the default logger drops it). */
  info(message: string, meta?: Record<string, unknown>): void;
  /** Something went wrong and the engine recovered (a Redis error, a lost job). */
  warn(message: string, meta?: Record<string, unknown>): void;
  /** Something went wrong that the engine could not handle by itself. */
  error(message: string, meta?: Record<string, unknown>): void;
}

/**
 * Options of `WorkflowEngine`. Every duration and count is an integer from 0 (1 for
 * `lockDurationMs`, `stalledIntervalMs`, `enqueueTimeoutMs`; 100 for `workerHeartbeatMs`) to `MAX_TIMEOUT_MS`
 * (2^31 - 1 ms, the longest a Node.js timer holds), and `defaultRetry` a valid retry
 * policy; anything else makes the constructor throw `InvalidArgumentError`.
 */
export interface WorkflowEngineOptions {
  /**
   * Prefix of every Redis key and channel the engine uses (BullMQ's keys included). Over a
   * Redis Cluster it must hold a hash tag (`{...}`): every key then falls in one slot.
   * @defaultValue 'spane' (`'{spane}'` over a Cluster)
   */
  prefix?: string;
  /** Retry policy of nodes that set none (nor their workflow or node type). @defaultValue 3 attempts, exponential from 1000 ms */
  defaultRetry?: RetryPolicy;
  /**
   * How long a worker's lock on a running node lasts; renewed at half this while the node
   * runs. A worker that dies stops renewing, and its node runs again on another worker
   * within about `lockDurationMs + stalledIntervalMs`. @defaultValue 15_000
   */
  lockDurationMs?: number;
  /** How often workers look for nodes whose lock expired. @defaultValue 5_000 */
  stalledIntervalMs?: number;
  /** Times a node may lose its worker before its job is given up. @defaultValue 10 */
  maxStalledCount?: number;
  /**
   * A node whose runs killed their worker process this many times (a `process.exit`, out of
   * memory, a crash, a kill) is not run again: it fails at once (to the dead-letter queue)
   * with an error that says so. A run counts as a crash when BullMQ's stalled check found
   * its worker gone (its lock expired: the job's `stalledCounter`); a run that ended in any
   * way — completed, failed, parked, delayed, aborted — does not count. 0 turns the count
   * off (then only `maxStalledCount` ends a crash loop).
   * @defaultValue 3
   */
  maxNodeCrashes?: number;
  /**
   * How many nodes one node job may run after its own, in the same job: when a node's
   * completion starts a child whose only parent it is (a chain's next node), or makes a
   * join ready, of a type this process runs without limits or a circuit breaker, in a
   * workflow without `maxConcurrency`, the worker runs that child right away instead of
   * adding a job for it and waiting for a worker to take it. A job stops carrying after this many runs or after 1 s, and after
   * its worker was once lost. The carried run is recorded in the store as any run is (its
   * completion still commits before its own children start); a crash while it runs puts
   * its carrier job back in the queue, whose next run gives the node a job of its own.
   * A fan-out of a fast type wider than this process's free worker slots shares the
   * children that find no slot among the jobs that got one (riders), this many a job at
   * most. 0 gives every node its own job.
   * @defaultValue 16
   */
  maxCarriedRuns?: number;
  /**
   * Timeout of a node attempt (ms) when neither the node (`timeoutMs`), its workflow
   * (`defaults.timeoutMs`) nor its node type's registration sets one: an executor that never
   * settles fails with a `NodeTimeoutError` (retried per its policy) and frees its worker
   * slot. `0` or `null` sets no default timeout.
   * @defaultValue 300_000 (5 minutes)
   */
  defaultNodeTimeoutMs?: number | null;
  /**
   * How long a node whose type this process does not register waits for a worker that does
   * (a rolling deploy: old and new workers on one queue). The job goes back to the queue
   * with a short backoff — nothing is begun, no attempt used — and is failed with "no
   * worker registers node type …" when no worker that has the type took it in this time.
   * 0 fails it at once.
   * @defaultValue 60_000
   */
  missingNodeTypeWaitMs?: number;
  /**
   * Workers ping Redis; one that has not answered for this long is logged (warn, once per
   * stall), and so is its recovery. 0 turns the check off.
   * @defaultValue 5_000
   */
  redisStallWarnMs?: number;
  /**
   * The dependency monitor pings Redis and the store this often (a ping that is not
   * answered within `dependencyTimeoutMs` marks the part down); while a part is down,
   * front ends refuse requests that need it (503 `UNAVAILABLE`) and workers stop taking
   * jobs while the store is down. 0 turns the monitor off.
   * @defaultValue 1_000
   */
  dependencyCheckMs?: number;
  /** How long the dependency monitor waits for a ping. @defaultValue 500 */
  dependencyTimeoutMs?: number;
  /**
   * A request (`engine.dependencies.ensureFresh`, used by `@spane/http`) passes at once
   * while the parts it needs answered a ping within this many ms; an older answer makes it
   * ping them first (one ping shared by every request meanwhile). @defaultValue 250
   */
  dependencyFreshMs?: number;
  /**
   * How long such a request waits for that ping; a part that does not answer in time is
   * suspect (counts as down until a ping of it succeeds), so the request answers 503 at
   * once. @defaultValue 80
   */
  dependencyWaitMs?: number;
  /** `close()` lets running nodes finish for this long, then aborts them; they run again later. @defaultValue 10_000 */
  shutdownGraceMs?: number;
  /**
   * How long starting an execution (`enqueueWorkflow`, triggers…) waits for Redis to take
   * its first jobs; then the start fails (`EnqueueFailedError`, the execution cancelled, or
   * `EnqueueOutcomeUnknownError` with an idempotency key). @defaultValue 10_000
   */
  enqueueTimeoutMs?: number;
  /**
   * How often workers compare the store with Redis and re-enqueue lost work (see
   * `reconcile()`); 0 turns the periodic pass off (it still runs when workers start).
   * @defaultValue 30_000
   */
  reconcileIntervalMs?: number;
  /**
   * Limits of SPEC §5, merged over the defaults: `maxPayloadBytes` for initial data and node
   * outputs, `maxNodes` and `maxIdLength` for definitions, `maxDepth` for sub-workflows.
   * @defaultValue `DEFAULT_LIMITS` of `@spane/core` (1 MiB, 10 000 nodes, 128, 10)
   */
  limits?: Partial<SpaneLimits>;
  /** Engine diagnostics. @defaultValue a logger that prints warnings and errors to the console */
  logger?: EngineLogger;
  /**
   * How long a node run keeps retrying a failed store or Redis call (an infrastructure
   * error, not the executor's) before it gives up. While it retries, the run keeps its
   * worker slot, its attempt number and any result already computed; the node's retry
   * budget is not used. A run that gives up (or loses its job's lock meanwhile) is left to
   * be run again. @defaultValue 300_000
   */
  infraRetryMs?: number;
  /**
   * The secret vault (`SecretVault` of `@spane/core`, over the store's `secrets`) that
   * resolves `{ "$secret": "name" }` references in node configs — per the execution's
   * tenant, only when the node runs — and in webhook triggers' `secret` at verification.
   * With it, `registerWorkflow` also moves a webhook trigger's literal `secret` into the
   * vault (as `webhook.<workflowId>.<n>`) and saves the definition with a reference.
   * Without it, definitions with references are refused (`SECRETS_DISABLED`) and a literal
   * webhook secret is stored in clear (with a warning). @defaultValue none
   */
  secrets?: SecretVault;
  /**
   * Per-tenant quotas: `maxActiveExecutions` (pending, running or paused executions; starts
   * past it are refused), `maxWorkflows` (registered workflows), `maxSchedules` (schedule
   * triggers over the tenant's workflows), each a non-negative integer, or `Infinity` /
   * `false` for no limit; `tenants` overrides them per tenant id. Past a quota a call
   * throws `QuotaExceededError` (HTTP 429 `QUOTA_EXCEEDED`) and changes nothing; a
   * schedule's firing past it is skipped (logged). `false` turns every quota off. Every
   * engine sharing a `prefix` should be given the same quotas.
   * @defaultValue 10_000 active executions, 1_000 workflows and 100 schedule triggers per tenant
   */
  quotas?: TenantQuotaOptions | false;
  /**
   * Fair scheduling between tenants on the node queues they share: the nodes of executions
   * without a priority are ordered per tenant by virtual time, so one tenant's backlog does
   * not make another tenant's nodes wait behind all of it (each tenant with work waiting
   * gets about one turn in each round). A tenant alone keeps first-in first-out order, and
   * executions with a `priority` still run after those without one, by priority — then
   * priorities above 1 048 576 all rank as 1 048 576. Costs one Lua script call per
   * batch of node jobs added (see the README). `false` adds jobs as BullMQ does: first-in
   * first-out across tenants. @defaultValue true
   */
  fairScheduling?: boolean;
  /**
   * How often each process running workers publishes its heartbeat (worker id, host, pid,
   * busy and total slots, when it last took a job) in Redis; a heartbeat expires after
   * three intervals. Read by `getQueueStats().workers` and `checkHealth().liveWorkers`.
   * At least 100. @defaultValue 5_000
   */
  workerHeartbeatMs?: number;
  /**
   * A live worker counts as stuck when jobs wait on the `nodes` queue, it has a free slot
   * and it took no job for longer than this (ms). @defaultValue 30_000
   */
  workerStuckAfterMs?: number;
  /**
   * At start the engine reads Redis' `maxmemory-policy` (each master of a Cluster) and
   * warns when it is not `noeviction`; with `true` it refuses instead: `startWorkers()`
   * and, once the answer is in, every call that changes workflows or executions throw
   * `InvalidArgumentError`. A server that tells neither by CONFIG GET nor INFO is not
   * refused. @defaultValue false
   */
  requireNoEviction?: boolean;
  /**
   * OpenTelemetry spans (see the README's "OpenTelemetry"): with `@opentelemetry/api`
   * installed, one span per execution and one per node attempt go to the tracer provider
   * the application registered. `false` records none (the trace context an execution was
   * started with still reaches its nodes as `ctx.traceContext`). @defaultValue true
   */
  openTelemetry?: boolean;
}

export interface ResolvedEngineOptions {
  prefix: string;
  defaultRetry: RetryPolicy | undefined;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  maxNodeCrashes: number;
  maxCarriedRuns: number;
  /** undefined: no engine-wide default timeout. */
  defaultNodeTimeoutMs: number | undefined;
  missingNodeTypeWaitMs: number;
  redisStallWarnMs: number;
  dependencyCheckMs: number;
  dependencyTimeoutMs: number;
  dependencyFreshMs: number;
  dependencyWaitMs: number;
  shutdownGraceMs: number;
  enqueueTimeoutMs: number;
  reconcileIntervalMs: number;
  limits: Partial<SpaneLimits>;
  logger: EngineLogger;
  infraRetryMs: number;
  secrets: SecretVault | undefined;
  quotas: TenantQuotas;
  fairScheduling: boolean;
  workerHeartbeatMs: number;
  workerStuckAfterMs: number;
  requireNoEviction: boolean;
  openTelemetry: boolean;
}

const consoleLogger: EngineLogger = {
  debug: () => {},
  info: () => {},
  warn: (m, meta) => console.warn(`[spane] ${m}`, meta ?? ''),
  error: (m, meta) => console.error(`[spane] ${m}`, meta ?? ''),
};

/**
 * `value`, when it is an integer from `min` to {@link MAX_TIMEOUT_MS} (2^31 - 1, the longest
 * delay a Node.js timer keeps: a longer one fires at once). @throws InvalidArgumentError
 */
function wholeMs(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${MAX_TIMEOUT_MS}`);
  }
  return value;
}

/** `value`, when it is a boolean. @throws InvalidArgumentError */
function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${name} must be true or false`);
  return value;
}

/** `policy`, when it is a valid retry policy (delays at most MAX_TIMEOUT_MS). @throws InvalidArgumentError */
function retryPolicy(policy: RetryPolicy | undefined): RetryPolicy | undefined {
  if (policy !== undefined && !isRetryPolicy(policy)) {
    throw new InvalidArgumentError(
      `defaultRetry must be a retry policy (attempts 1-1000, backoff exponential|fixed, delays at most ${MAX_TIMEOUT_MS} ms)`,
    );
  }
  return policy;
}

/**
 * The options with their defaults.
 * @throws InvalidArgumentError for a duration or count that is not an integer from 0 (1 for
 * `lockDurationMs`, `stalledIntervalMs` and `enqueueTimeoutMs`, 100 for
 * `workerHeartbeatMs`) to `MAX_TIMEOUT_MS`, or a
 * `defaultRetry` that is not a valid retry policy, a quota that is neither a
 * non-negative integer, `Infinity` nor `false`, a `fairScheduling` or `openTelemetry` that is
 * not a boolean, `secrets` that is not a `SecretVault`, or a `prefix` that is empty or (over a
 * Cluster, `cluster` true) holds no hash tag
 */
export function resolveEngineOptions(
  options: WorkflowEngineOptions = {},
  cluster = false,
): ResolvedEngineOptions {
  const timeout = options.defaultNodeTimeoutMs;
  const defaultNodeTimeoutMs = wholeMs(
    'defaultNodeTimeoutMs',
    timeout === null ? 0 : timeout,
    300_000,
  );
  return {
    prefix: enginePrefix(options.prefix, cluster),
    defaultRetry: retryPolicy(options.defaultRetry),
    lockDurationMs: wholeMs('lockDurationMs', options.lockDurationMs, 15_000, 1),
    stalledIntervalMs: wholeMs('stalledIntervalMs', options.stalledIntervalMs, 5_000, 1),
    maxStalledCount: wholeMs('maxStalledCount', options.maxStalledCount, 10),
    maxNodeCrashes: wholeMs('maxNodeCrashes', options.maxNodeCrashes, 3),
    maxCarriedRuns: wholeMs('maxCarriedRuns', options.maxCarriedRuns, 16),
    defaultNodeTimeoutMs: defaultNodeTimeoutMs === 0 ? undefined : defaultNodeTimeoutMs,
    missingNodeTypeWaitMs: wholeMs('missingNodeTypeWaitMs', options.missingNodeTypeWaitMs, 60_000),
    redisStallWarnMs: wholeMs('redisStallWarnMs', options.redisStallWarnMs, 5_000),
    dependencyCheckMs: wholeMs('dependencyCheckMs', options.dependencyCheckMs, 1_000),
    dependencyTimeoutMs: wholeMs('dependencyTimeoutMs', options.dependencyTimeoutMs, 500, 1),
    dependencyFreshMs: wholeMs('dependencyFreshMs', options.dependencyFreshMs, 250),
    dependencyWaitMs: wholeMs('dependencyWaitMs', options.dependencyWaitMs, 80, 1),
    shutdownGraceMs: wholeMs('shutdownGraceMs', options.shutdownGraceMs, 10_000),
    enqueueTimeoutMs: wholeMs('enqueueTimeoutMs', options.enqueueTimeoutMs, 10_000, 1),
    reconcileIntervalMs: wholeMs('reconcileIntervalMs', options.reconcileIntervalMs, 30_000),
    limits: options.limits ?? {},
    logger: options.logger ?? consoleLogger,
    infraRetryMs: wholeMs('infraRetryMs', options.infraRetryMs, 300_000),
    secrets: checkVault(options.secrets),
    quotas: new TenantQuotas(options.quotas),
    fairScheduling: flag('fairScheduling', options.fairScheduling, true),
    workerHeartbeatMs: wholeMs('workerHeartbeatMs', options.workerHeartbeatMs, 5_000, 100),
    workerStuckAfterMs: wholeMs('workerStuckAfterMs', options.workerStuckAfterMs, 30_000),
    requireNoEviction: flag('requireNoEviction', options.requireNoEviction, false),
    openTelemetry: flag('openTelemetry', options.openTelemetry, true),
  };
}

/** `secrets`, when it is a `SecretVault` (or absent). @throws InvalidArgumentError */
function checkVault(vault: SecretVault | undefined): SecretVault | undefined {
  // Duck-typed: a second copy of @spane/core (dist and source) has another class.
  const v = vault as Partial<SecretVault> | undefined;
  if (v !== undefined && (typeof v.reveal !== 'function' || typeof v.set !== 'function')) {
    throw new InvalidArgumentError('secrets must be a SecretVault of @spane/core');
  }
  return vault;
}

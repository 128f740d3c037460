import type { RetryPolicy, SpaneLimits } from '@spane/core';

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

/** Options of `WorkflowEngine`. */
export interface WorkflowEngineOptions {
  /** Prefix of every Redis key and channel the engine uses. @defaultValue 'spane' */
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
}

export interface ResolvedEngineOptions {
  prefix: string;
  defaultRetry: RetryPolicy | undefined;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  shutdownGraceMs: number;
  enqueueTimeoutMs: number;
  reconcileIntervalMs: number;
  limits: Partial<SpaneLimits>;
  logger: EngineLogger;
  infraRetryMs: number;
}

const consoleLogger: EngineLogger = {
  debug: () => {},
  info: () => {},
  warn: (m, meta) => console.warn(`[spane] ${m}`, meta ?? ''),
  error: (m, meta) => console.error(`[spane] ${m}`, meta ?? ''),
};

export function resolveEngineOptions(options: WorkflowEngineOptions = {}): ResolvedEngineOptions {
  return {
    prefix: options.prefix ?? 'spane',
    defaultRetry: options.defaultRetry,
    lockDurationMs: options.lockDurationMs ?? 15_000,
    stalledIntervalMs: options.stalledIntervalMs ?? 5_000,
    maxStalledCount: options.maxStalledCount ?? 10,
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    enqueueTimeoutMs: options.enqueueTimeoutMs ?? 10_000,
    reconcileIntervalMs: options.reconcileIntervalMs ?? 30_000,
    limits: options.limits ?? {},
    logger: options.logger ?? consoleLogger,
    infraRetryMs: options.infraRetryMs ?? 300_000,
  };
}

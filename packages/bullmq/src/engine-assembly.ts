import {
  DEFAULT_LIMITS,
  type EngineFaultCounts,
  type ExecutionStore,
  InvalidArgumentError,
  type NodeRegistry,
} from '@spane/core';
import { Queue } from 'bullmq';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { CircuitBreakers } from './circuit-breakers.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import type { ControlJobData } from './control-jobs.js';
import { DependencyMonitor } from './dependency-monitor.js';
import { Admission } from './engine-admission.js';
import { EngineChannel } from './engine-channel.js';
import { EngineEvents } from './engine-events.js';
import { type EngineConnections, EngineLifecycle } from './engine-lifecycle.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import { runParts } from './engine-run-parts.js';
import { ExecutionControl } from './execution-control.js';
import { ExecutionExplainer } from './execution-explainer.js';
import { ExecutionQuota } from './execution-quota.js';
import { ExecutionSignals } from './execution-signals.js';
import { ExecutionStarter } from './execution-starter.js';
import type { ExecutionWaiterContext } from './execution-waiter.js';
import { FailedNodeJobs } from './failed-node-jobs.js';
import { FairShare } from './fair-share.js';
import { Handoffs } from './handoffs.js';
import { IdleQueueKeys } from './idle-queue-keys.js';
import type { JobLeases } from './job-leases.js';
import { JobRemoval } from './job-removal.js';
import type { MapNodes } from './map-nodes.js';
import { NodeEnqueuer } from './node-enqueuer.js';
import { NodeQueues } from './node-queues.js';
import type { NodeRunner } from './node-runner.js';
import { Observability } from './observability.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import { ParkedJobs } from './parked-jobs.js';
import { Reconciler } from './reconciler.js';
import { duplicateClient } from './redis-cluster.js';
import { CONTROL_QUEUE, RedisKeys } from './redis-keys.js';
import { checkRedisServers } from './redis-server-check.js';
import { RegistrationLock } from './registration-lock.js';
import { Replays } from './replay.js';
import { RetryPolicies } from './retry-policies.js';
import { RiderIndex } from './riders.js';
import { RunningNodes } from './running-nodes.js';
import { Schedules } from './schedules.js';
import { StartOutcomes } from './start-outcomes.js';
import { StartRepair } from './start-repair.js';
import type { SubWorkflows } from './sub-workflow-node.js';
import { ExecutionTracing } from './tracing.js';
import { TriggerDispatch } from './trigger-dispatch.js';
import { WebhookRoutes } from './webhook-triggers.js';
import { WorkerHeartbeat } from './worker-liveness.js';
import { WorkerPool } from './worker-pool.js';
import { WorkflowCatalogue } from './workflow-catalogue.js';
import { WorkflowTimeouts } from './workflow-timeouts.js';
import { coalesceWrites } from './write-coalescing.js';

/** The parts of an engine that its facade delegates to. */
export interface EngineParts {
  store: ExecutionStore;
  /** Infrastructure faults met and handled, counted by the parts that handle them. */
  faults: EngineFaultCounts;
  catalogue: WorkflowCatalogue;
  /** Map nodes: their items' progress. */
  maps: MapNodes;
  starter: ExecutionStarter;
  control: ExecutionControl;
  /** The tenants' active-execution quota. */
  quota: ExecutionQuota;
  replays: Replays;
  /** `engine.signal`. */
  signals: ExecutionSignals;
  triggers: TriggerDispatch;
  events: EngineEvents;
  waiter: ExecutionWaiterContext;
  observability: Observability;
  reconciler: Reconciler;
  lifecycle: EngineLifecycle;
  /** Refuses calls once the engine is closed. */
  admission: Admission;
  /** The node types' circuit breakers. */
  breakers: CircuitBreakers;
  /** Whether Redis and the store answer; holds the workers while the store is down. */
  dependencies: DependencyMonitor;
  /** OpenTelemetry spans of executions and node attempts. */
  tracing: ExecutionTracing;
  /** Why an execution's nodes are not running (`engine.explain`). */
  explainer: ExecutionExplainer;
}

/** What every part builds on: connections, Redis names, queues, the channel, the plans. */
export interface Foundation {
  registry: NodeRegistry;
  store: ExecutionStore;
  options: ResolvedEngineOptions;
  connections: EngineConnections;
  redis: Redis;
  keys: RedisKeys;
  queues: NodeQueues;
  controlQueue: Queue<ControlJobData>;
  channel: EngineChannel;
  webhooks: WebhookRoutes;
  schedules: Schedules;
  catalogue: WorkflowCatalogue;
  /** The largest payload (JSON bytes) of initial data and node outputs. */
  maxPayloadBytes: number;
  maxDepth: number;
  /** Fair scheduling between tenants on the node queues. */
  fair: FairShare;
  /** Which jobs carry fan-out children as riders (see RiderIndex). */
  riders: RiderIndex;
}

/** The parts that run nodes and executions. */
export interface Execution {
  gate: ConcurrencyGate;
  quota: ExecutionQuota;
  handoffs: Handoffs;
  runs: RunningNodes;
  events: EngineEvents;
  retry: RetryPolicies;
  enqueuer: NodeEnqueuer;
  timeouts: WorkflowTimeouts;
  starter: ExecutionStarter;
  control: ExecutionControl;
  recorder: OutcomeRecorder;
  subWorkflows: SubWorkflows;
  maps: MapNodes;
  runner: NodeRunner;
  breakers: CircuitBreakers;
  leases: JobLeases;
  faults: EngineFaultCounts;
  /** Set once the engine closes: node runs stop retrying store and Redis calls. */
  closing: { value: boolean };
  tracing: ExecutionTracing;
}

/**
 * Builds an engine's parts and gives each the narrow context it needs: once, here. The
 * one cycle (execution control ↔ sub-workflows: cancelling an execution tells its waiting
 * parent, and a sub-workflow's start cancels a child whose parent went away meanwhile) is
 * closed by {@link ExecutionControl.watchChildren}.
 */
export function assembleEngine(
  registry: NodeRegistry,
  store: ExecutionStore,
  redis: Redis | Cluster | string | RedisOptions,
  options: ResolvedEngineOptions,
): EngineParts {
  const f = foundation(registry, store, connect(redis, options), options);
  const x = execution(f);
  const { catalogue, channel, queues, controlQueue } = f;
  const { logger } = options;
  const admission = new Admission();
  const serverCheck = checkServer(f.redis, options, admission);
  const idleKeys = new IdleQueueKeys({ redis: f.redis, logger });
  const triggers = new TriggerDispatch({
    store,
    secrets: options.secrets,
    webhooks: f.webhooks,
    schedules: f.schedules,
    starter: x.starter,
    logger,
  });
  const pool = workerPool(f, x, triggers, idleKeys);
  const reconciler = new Reconciler({
    store,
    queues,
    riders: f.riders,
    plans: catalogue,
    enqueuer: x.enqueuer,
    failedJobs: new FailedNodeJobs({ queues, recorder: x.recorder, logger }),
    timeouts: x.timeouts,
    subWorkflows: x.subWorkflows,
    maps: x.maps,
    gate: x.gate,
    quota: x.quota,
    logger,
    intervalMs: options.reconcileIntervalMs,
  });
  const { events, starter, control } = x;
  const dependencies = watchDependencies(f, pool);
  return {
    dependencies,
    tracing: x.tracing,
    explainer: new ExecutionExplainer({ ...f, plans: catalogue, reconciler, maps: x.maps }),
    store,
    faults: x.faults,
    breakers: x.breakers,
    catalogue,
    maps: x.maps,
    starter,
    control,
    quota: x.quota,
    replays: new Replays({
      store,
      plans: catalogue,
      launcher: starter,
      events,
      finisher: control,
      quota: x.quota,
    }),
    signals: new ExecutionSignals({
      store,
      plans: catalogue,
      queues,
      maxPayloadBytes: f.maxPayloadBytes,
      logger,
    }),
    triggers,
    events,
    waiter: { store, channel, events, logger },
    observability: new Observability({
      redis: f.redis,
      store,
      queues,
      workers: pool,
      fair: f.fair,
      heartbeats: { key: f.keys.workers, stuckAfterMs: options.workerStuckAfterMs },
    }),
    reconciler,
    admission,
    lifecycle: new EngineLifecycle({
      admission,
      serverCheck,
      connections: f.connections,
      channel,
      pool,
      catalogue,
      reconciler,
      handoffs: x.handoffs,
      runs: x.runs,
      closing: x.closing,
      queues,
      controlQueue,
      idleKeys,
      shutdownGraceMs: options.shutdownGraceMs,
      logger,
    }),
  };
}

/**
 * The engine's dependency monitor, started: while the store is down the workers take no
 * job (a job taken then could not be recorded); they resume by themselves when it is back.
 */
function watchDependencies(f: Foundation, pool: WorkerPool): DependencyMonitor {
  const monitor = new DependencyMonitor({
    redis: f.redis,
    store: f.store,
    logger: f.options.logger,
    intervalMs: f.options.dependencyCheckMs,
    timeoutMs: f.options.dependencyTimeoutMs,
    freshMs: f.options.dependencyFreshMs,
    waitMs: f.options.dependencyWaitMs,
  });
  monitor.onChange((name, up) => {
    if (name === 'store') pool.hold(!up);
  });
  monitor.start();
  return monitor;
}

/** The engine's workers, with their heartbeat. */
function workerPool(
  f: Foundation,
  x: Execution,
  triggers: TriggerDispatch,
  idleKeys: IdleQueueKeys,
): WorkerPool {
  const { options } = f;
  const { logger } = options;
  return new WorkerPool({
    connection: f.connections.workerConnection,
    options,
    queues: f.queues,
    runner: x.runner,
    retry: x.retry,
    handoffs: x.handoffs,
    control: x.control,
    triggers,
    leases: x.leases,
    idleKeys,
    heartbeat: new WorkerHeartbeat({
      redis: f.redis,
      key: f.keys.workers,
      id: idleKeys.workerName,
      intervalMs: options.workerHeartbeatMs,
      logger,
    }),
  });
}

/** The methods that make an object a Redis client to the engine (and to BullMQ). */
const CLIENT_METHODS = ['connect', 'disconnect', 'duplicate', 'on', 'quit'] as const;

/**
 * Whether `redis` is a client (an ioredis instance of any copy of ioredis: told by its
 * methods, not by `instanceof`, which is false for another copy's instances) rather
 * than a URL or options. @throws InvalidArgumentError for an object with some of a
 * client's methods but not all (a partial client is neither a client nor options).
 */
export function isRedisClient(redis: unknown): redis is Redis | Cluster {
  if (typeof redis !== 'object' || redis === null) return false;
  const has = CLIENT_METHODS.filter(
    (m) => typeof (redis as Record<string, unknown>)[m] === 'function',
  );
  if (has.length === CLIENT_METHODS.length) return true;
  if (has.length === 0) return false;
  throw new InvalidArgumentError(
    `redis: an object with ${has.join(', ')} but not ${CLIENT_METHODS.filter((m) => !has.includes(m)).join(', ')} is neither an ioredis client nor ioredis options`,
  );
}

/**
 * Starts the check of Redis' configuration (see `requireNoEviction`): with the option, a
 * refusal also refuses the engine's calls from then on. Resolves with the error
 * startWorkers() throws (only with the option; never rejects).
 */
function checkServer(
  redis: Redis,
  options: ResolvedEngineOptions,
  admission: Admission,
): Promise<Error | undefined> {
  const { logger, requireNoEviction } = options;
  const check = checkRedisServers({ redis, logger, requireNoEviction, timeoutMs: 10_000 })
    .catch((err: Error) => {
      logger.debug('could not check the Redis configuration', { error: err.message });
      return undefined;
    })
    .then((refusal) => {
      if (refusal) admission.refuse(refusal);
      return refusal;
    });
  return requireNoEviction ? check : Promise.resolve(undefined);
}

/**
 * The engine's connections: the given or made command connection, and the workers'
 * (`maxRetriesPerRequest: null`, as BullMQ's workers need). A `Cluster` is used as a
 * `Redis` inside the engine: it takes the same commands, and its duplicates are made
 * by {@link duplicateClient}.
 */
function connect(
  redis: Redis | Cluster | string | RedisOptions,
  options: ResolvedEngineOptions,
): EngineConnections {
  const given = isRedisClient(redis);
  const command: Redis = given
    ? (redis as Redis)
    : typeof redis === 'string'
      ? new Redis(redis)
      : new Redis(redis as RedisOptions);
  const onRedisError = (err: Error): void =>
    options.logger.warn('redis error', { error: err.message });
  command.on('error', onRedisError);
  const workerConnection = duplicateClient(command, { maxRetriesPerRequest: null });
  workerConnection.on('error', () => {});
  // One socket write a turn of the event loop per connection (see coalesceWrites).
  coalesceWrites(command);
  coalesceWrites(workerConnection);
  return { redis: command, ownsRedis: !given, onRedisError, workerConnection };
}

function foundation(
  registry: NodeRegistry,
  store: ExecutionStore,
  connections: EngineConnections,
  options: ResolvedEngineOptions,
): Foundation {
  const { redis } = connections;
  const { prefix, logger } = options;
  const keys = new RedisKeys(prefix);
  const queues = new NodeQueues(registry, redis, prefix, logger);
  // BullMQ's per-queue event stream is capped: the engine's own events go over pub/sub.
  const controlQueue = new Queue<ControlJobData>(CONTROL_QUEUE, {
    connection: redis,
    prefix,
    streams: { events: { maxLen: 1_000 } },
  });
  controlQueue.on('error', (err) => logger.warn('queue error', { error: err.message }));
  const webhooks = new WebhookRoutes(redis, keys);
  const schedules = new Schedules(controlQueue, redis, keys);
  const channel = new EngineChannel(keys, redis, logger);
  const catalogue = new WorkflowCatalogue({
    registry,
    store,
    limits: options.limits,
    webhooks,
    schedules,
    secrets: options.secrets,
    logger,
    quotas: options.quotas,
    lock: new RegistrationLock({ redis, keys, ttlMs: 30_000, waitMs: 30_000 }),
  });
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const riders = new RiderIndex({ redis, keys, queues });
  return {
    riders,
    registry,
    store,
    options,
    connections,
    redis,
    keys,
    queues,
    controlQueue,
    channel,
    webhooks,
    schedules,
    catalogue,
    maxPayloadBytes: limits.maxPayloadBytes,
    maxDepth: limits.maxDepth,
    fair: new FairShare({ redis, prefix, enabled: options.fairScheduling }),
  };
}

function execution(f: Foundation): Execution {
  const { registry, store, redis, keys, queues, channel, catalogue: plans, options } = f;
  const { logger } = options;
  const gate = new ConcurrencyGate({
    redis,
    keys,
    queues,
    logger,
    slotTtlMs: Math.max(60_000, 4 * options.lockDurationMs),
    refreshMs: options.lockDurationMs,
  });
  const quota = new ExecutionQuota({
    redis,
    keys,
    quotas: options.quotas,
    store,
    logger,
    timeoutMs: options.enqueueTimeoutMs,
    recheckMs: Math.max(60_000, 3 * options.enqueueTimeoutMs),
  });
  const handoffs = new Handoffs({ registry, queues, aborts: channel, store });
  const runs = new RunningNodes({ handoffs, defaultTimeoutMs: options.defaultNodeTimeoutMs });
  const events = new EngineEvents({
    channel,
    runs,
    logger,
    ended: (tenantId, executionId) => quota.ended(tenantId, executionId),
  });
  const retry = new RetryPolicies({ registry, defaultRetry: options.defaultRetry, plans });
  const enqueuer = new NodeEnqueuer({
    queues,
    retry,
    fair: f.fair,
    beforeAdd: () => channel.flushLingering(),
  });
  const parked = new ParkedJobs({ store, redis, keys, queues });
  const timeouts = new WorkflowTimeouts(f.controlQueue);
  const tracing = tracingOf(options.openTelemetry, events);
  const starter = new ExecutionStarter({
    tracing,
    store,
    plans,
    handoffs,
    enqueuer,
    timeouts,
    events,
    outcomes: new StartOutcomes({ store, handoffs, runs, events, logger }),
    repair: new StartRepair({ queues, enqueuer, timeouts, events }),
    quota,
    maxPayloadBytes: f.maxPayloadBytes,
    enqueueTimeoutMs: options.enqueueTimeoutMs,
  });
  const control = new ExecutionControl({
    store,
    plans,
    events,
    channel,
    runs,
    handoffs,
    enqueuer,
    removal: new JobRemoval({ queues, redis, graceMs: options.shutdownGraceMs }),
    parked,
    timeouts,
    gate,
    queues,
    logger,
  });
  const base = { gate, handoffs, runs, events, retry, enqueuer, parked, starter, control, tracing };
  return { ...base, quota, timeouts, ...runParts(f, base) };
}

/**
 * The engine's OpenTelemetry spans; once `@opentelemetry/api` is found, execution spans
 * this process opened end as it hears their executions end (from any engine process).
 */
function tracingOf(enabled: boolean, events: EngineEvents): ExecutionTracing {
  const tracing = new ExecutionTracing(enabled);
  void tracing.ready().then((found) => {
    if (!found) return;
    events.on('workflow:completed', (e) => tracing.endExecution(e.executionId, 'completed'));
    events.on('workflow:failed', (e) => tracing.endExecution(e.executionId, 'failed', e.error));
    events.on('workflow:cancelled', (e) => tracing.endExecution(e.executionId, 'cancelled'));
  });
  return tracing;
}

import { DEFAULT_LIMITS, type ExecutionStore, type NodeRegistry } from '@spane/core';
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { ConcurrencyGate } from './concurrency-gate.js';
import type { ControlJobData } from './control-jobs.js';
import { CrashGuard } from './crash-guard.js';
import { EngineChannel } from './engine-channel.js';
import { EngineEvents } from './engine-events.js';
import { type EngineConnections, EngineLifecycle } from './engine-lifecycle.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import { ExecutionControl } from './execution-control.js';
import { ExecutionStarter } from './execution-starter.js';
import type { ExecutionWaiterContext } from './execution-waiter.js';
import { Handoffs } from './handoffs.js';
import { JobRemoval } from './job-removal.js';
import { MissingNodeTypes } from './missing-node-type.js';
import { NodeEnqueuer } from './node-enqueuer.js';
import { NodeQueues } from './node-queues.js';
import { NodeRunner, type NodeRunnerContext } from './node-runner.js';
import { Observability } from './observability.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { ParkedJobs } from './parked-jobs.js';
import { Reconciler } from './reconciler.js';
import { CONTROL_QUEUE, RedisKeys } from './redis-keys.js';
import { Replays } from './replay.js';
import { RetryPolicies } from './retry-policies.js';
import { RunningNodes } from './running-nodes.js';
import { Schedules } from './schedules.js';
import { SubWorkflows } from './sub-workflow-node.js';
import { TriggerDispatch } from './trigger-dispatch.js';
import { UnstartedJobs } from './unstarted-jobs.js';
import { WebhookRoutes } from './webhook-triggers.js';
import { WorkerPool } from './worker-pool.js';
import { WorkflowCatalogue } from './workflow-catalogue.js';
import { WorkflowTimeouts } from './workflow-timeouts.js';

/** The parts of an engine that its facade delegates to. */
export interface EngineParts {
  store: ExecutionStore;
  catalogue: WorkflowCatalogue;
  starter: ExecutionStarter;
  control: ExecutionControl;
  replays: Replays;
  triggers: TriggerDispatch;
  events: EngineEvents;
  waiter: ExecutionWaiterContext;
  observability: Observability;
  reconciler: Reconciler;
  lifecycle: EngineLifecycle;
}

/** What every part builds on: connections, Redis names, queues, the channel, the plans. */
interface Foundation {
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
}

/** The parts that run nodes and executions. */
interface Execution {
  gate: ConcurrencyGate;
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
  runner: NodeRunner;
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
  redis: Redis | string | RedisOptions,
  options: ResolvedEngineOptions,
): EngineParts {
  const f = foundation(registry, store, connect(redis, options), options);
  const x = execution(f);
  const { catalogue, channel, queues, controlQueue } = f;
  const { logger } = options;
  const triggers = new TriggerDispatch({
    store,
    webhooks: f.webhooks,
    schedules: f.schedules,
    starter: x.starter,
  });
  const pool = new WorkerPool({
    connection: f.connections.workerConnection,
    options,
    queues,
    runner: x.runner,
    retry: x.retry,
    handoffs: x.handoffs,
    control: x.control,
    triggers,
  });
  const reconciler = new Reconciler({
    store,
    queues,
    plans: catalogue,
    enqueuer: x.enqueuer,
    timeouts: x.timeouts,
    subWorkflows: x.subWorkflows,
    gate: x.gate,
    logger,
    intervalMs: options.reconcileIntervalMs,
  });
  const { events, starter, control } = x;
  return {
    store,
    catalogue,
    starter,
    control,
    replays: new Replays({ store, plans: catalogue, launcher: starter, events, finisher: control }),
    triggers,
    events,
    waiter: { store, channel, events, logger },
    observability: new Observability({ redis: f.redis, store, queues, workers: pool }),
    reconciler,
    lifecycle: new EngineLifecycle({
      connections: f.connections,
      channel,
      pool,
      catalogue,
      reconciler,
      handoffs: x.handoffs,
      runs: x.runs,
      queues,
      controlQueue,
      shutdownGraceMs: options.shutdownGraceMs,
      logger,
    }),
  };
}

/** The engine's connections: the given or made command connection, and the workers'. */
function connect(
  redis: Redis | string | RedisOptions,
  options: ResolvedEngineOptions,
): EngineConnections {
  const owned = !(redis instanceof Redis);
  const command =
    redis instanceof Redis
      ? redis
      : typeof redis === 'string'
        ? new Redis(redis)
        : new Redis(redis);
  const onRedisError = (err: Error): void =>
    options.logger.warn('redis error', { error: err.message });
  command.on('error', onRedisError);
  const workerConnection = command.duplicate({ maxRetriesPerRequest: null });
  workerConnection.on('error', () => {});
  return { redis: command, ownsRedis: owned, onRedisError, workerConnection };
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
  });
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return {
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
  const handoffs = new Handoffs({ registry, queues, aborts: channel, store });
  const runs = new RunningNodes({ handoffs, defaultTimeoutMs: options.defaultNodeTimeoutMs });
  const events = new EngineEvents({ channel, runs, logger });
  const retry = new RetryPolicies({ registry, defaultRetry: options.defaultRetry, plans });
  const enqueuer = new NodeEnqueuer({ queues, retry });
  const parked = new ParkedJobs({ store, redis, keys, queues });
  const timeouts = new WorkflowTimeouts(f.controlQueue);
  const starter = new ExecutionStarter({
    store,
    plans,
    handoffs,
    enqueuer,
    timeouts,
    events,
    maxPayloadBytes: f.maxPayloadBytes,
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
  const recorder = new OutcomeRecorder({
    store,
    events,
    enqueuer,
    handoffs,
    channel,
    finisher: control,
  });
  const subWorkflows = new SubWorkflows({
    store,
    redis,
    keys,
    logger,
    maxDepth: f.maxDepth,
    maxPayloadBytes: f.maxPayloadBytes,
    plans,
    launcher: starter,
    canceller: control,
    waitingNodes: recorder,
  });
  control.watchChildren(subWorkflows);
  const runner = new NodeRunner({
    registry,
    store,
    plans,
    gate,
    handoffs,
    runs,
    recorder,
    unstarted: new UnstartedJobs({ store, parked, subWorkflows, enqueuer }),
    subWorkflows,
    retry,
    events,
    logger,
    ...runGuards(f, recorder),
    maxPayloadBytes: f.maxPayloadBytes,
  });
  return {
    gate,
    handoffs,
    runs,
    events,
    retry,
    enqueuer,
    timeouts,
    starter,
    control,
    recorder,
    subWorkflows,
    runner,
  };
}

/** What stands between a node job and its run: crash loops, a node type this process lacks. */
function runGuards(
  f: Foundation,
  recorder: OutcomeRecorder,
): Pick<NodeRunnerContext, 'crashes' | 'missingTypes'> {
  const { registry, redis, keys, catalogue: plans, options } = f;
  const { logger } = options;
  return {
    crashes: new CrashGuard({
      redis,
      keys,
      plans,
      recorder,
      logger,
      maxCrashes: options.maxNodeCrashes,
    }),
    missingTypes: new MissingNodeTypes({
      registry,
      logger,
      waitMs: options.missingNodeTypeWaitMs,
    }),
  };
}

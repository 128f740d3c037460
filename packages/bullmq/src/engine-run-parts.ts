import type { EngineFaultCounts } from '@spane/core';
import { AttemptEndings } from './attempt-endings.js';
import { CarriedRuns } from './carried-runs.js';
import { CircuitBreakers } from './circuit-breakers.js';
import { CrashGuard } from './crash-guard.js';
import type { Execution, Foundation } from './engine-assembly.js';
import { InfraRetry } from './infra-retry.js';
import { JobLeases } from './job-leases.js';
import { MapNodes } from './map-nodes.js';
import { MissingNodeTypes } from './missing-node-type.js';
import { NodeRunner, type NodeRunnerContext } from './node-runner.js';
import { NodeSecrets } from './node-secrets.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import type { ParkedJobs } from './parked-jobs.js';
import { RecordedWork } from './recorded-work.js';
import { SignalWaits } from './signal-wait.js';
import { SubWorkflows } from './sub-workflow-node.js';
import { UnstartedJobs } from './unstarted-jobs.js';

/** What the run side builds on (see {@link runParts}): the execution parts built before it. */
type RunBase = Pick<
  Execution,
  'gate' | 'handoffs' | 'runs' | 'events' | 'retry' | 'enqueuer' | 'starter' | 'control' | 'tracing'
> & { parked: ParkedJobs };

/** The parts that run nodes and record their outcomes, with their fault handling. */
export function runParts(f: Foundation, b: RunBase) {
  const { registry, store, redis, keys, channel, catalogue: plans, options } = f;
  const { logger } = options;
  const { gate, handoffs, runs, events, retry, enqueuer, parked, starter, control } = b;
  const closing = { value: false };
  const faults: EngineFaultCounts = { infraRetries: 0, refusedOutcomes: 0, lostLocks: 0 };
  const infra = new InfraRetry({
    logger,
    limitMs: options.infraRetryMs,
    closing: () => closing.value,
    faults,
  });
  const { riders } = f;
  const recorded = new RecordedWork({ store, enqueuer, events, finisher: control, infra, riders });
  const recorder = new OutcomeRecorder({
    store,
    riders,
    events,
    enqueuer,
    handoffs,
    channel,
    finisher: control,
    infra,
    recorded,
    logger,
    faults,
  });
  const maps = new MapNodes({
    store,
    redis,
    keys,
    logger,
    maxDepth: f.maxDepth,
    maxPayloadBytes: f.maxPayloadBytes,
    plans,
    launcher: starter,
    control,
    waitingNodes: recorder,
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
    maps,
  });
  control.watchChildren(subWorkflows);
  const leases = new JobLeases(options.lockDurationMs, faults);
  const breakers = new CircuitBreakers({ redis, keys, queues: f.queues, registry, events, logger });
  const carried = new CarriedRuns({
    registry,
    queues: f.queues,
    handoffs,
    enqueuer,
    infra,
    maxRuns: options.maxCarriedRuns,
  });
  const endings = new AttemptEndings({ store, recorder, retry, events, infra, carried, logger });
  const runner = new NodeRunner({
    registry,
    store,
    plans,
    gate,
    breakers,
    handoffs,
    runs,
    recorder,
    unstarted: new UnstartedJobs({ parked, subWorkflows, recorded }),
    subWorkflows,
    maps,
    signalWaits: new SignalWaits({ store, infra }),
    endings,
    carried,
    events,
    infra,
    leases,
    logger,
    ...runGuards(f, recorder),
    secrets: new NodeSecrets(options.secrets, infra),
    maxPayloadBytes: f.maxPayloadBytes,
    tracing: b.tracing,
  });
  return { recorder, subWorkflows, maps, runner, leases, faults, closing, breakers };
}

/** What stands between a node job and its run: crash loops, a node type this process lacks. */
function runGuards(
  f: Foundation,
  recorder: OutcomeRecorder,
): Pick<NodeRunnerContext, 'crashes' | 'missingTypes'> {
  const { registry, catalogue: plans, options } = f;
  const { logger } = options;
  return {
    crashes: new CrashGuard({
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

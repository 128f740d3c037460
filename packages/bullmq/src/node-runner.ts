import { randomUUID } from 'node:crypto';
import {
  type ExecutionStore,
  type NodeDefinition,
  type NodeRegistry,
  type NodeTypeRegistration,
  planNode,
  startedRunToken,
  type WorkflowPlan,
} from '@spane/core';
import { isoTime } from '@spane/core/internal';
import { type Job, WaitingError } from 'bullmq';
import { type AttemptEndings, fenceOf, type Processing } from './attempt-endings.js';
import { checkSettled, errorMessage, type Settled, schemaMismatch } from './attempt-result.js';
import { AttemptTelemetry } from './attempt-telemetry.js';
import { executorRegistration } from './built-in-nodes.js';
import { type CarriedChild, type CarriedRuns, carriedJobData } from './carried-runs.js';
import type { BreakerTicket, CircuitBreakers } from './circuit-breakers.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { CrashGuard } from './crash-guard.js';
import { DELAY_NODE } from './delay-node.js';
import { runDelay } from './delay-run.js';
import type { EngineEvents } from './engine-events.js';
import type { EngineLogger } from './engine-options.js';
import { executionContext } from './execution-context.js';
import type { Handoffs } from './handoffs.js';
import { type InfraRetry, InfrastructureError } from './infra-retry.js';
import { checkLeaseOnRead, type JobLeases } from './job-leases.js';
import { runInTurn } from './job-runs.js';
import { loopTurn, turnAfter } from './loop-turn.js';
import { MAP_NODE } from './map-node.js';
import type { MapNodes } from './map-nodes.js';
import type { MissingNodeTypes } from './missing-node-type.js';
import { type NodeJobData, nodeJobId } from './node-jobs.js';
import type { NodeSecrets } from './node-secrets.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { PlanSource } from './plan-source.js';
import { NODE_QUEUE } from './redis-keys.js';
import type { RunningNode, RunningNodes } from './running-nodes.js';
import { type SignalWaits, WAIT_FOR_SIGNAL_NODE } from './signal-wait.js';
import type { StartedRun } from './started-run.js';
import {
  type NodeRef,
  SUB_WORKFLOW_NODE,
  type SubWorkflows,
  WAITING,
} from './sub-workflow-node.js';
import type { ExecutionTracing } from './tracing.js';
import type { UnstartedJobs } from './unstarted-jobs.js';

/** What {@link NodeRunner} needs. */
export interface NodeRunnerContext {
  registry: Pick<NodeRegistry, 'has' | 'getRegistration'>;
  store: Pick<ExecutionStore, 'beginNodeRun' | 'recordSpan' | 'setNodeStatus'>;
  plans: Pick<PlanSource, 'getPlan' | 'cachedPlan'>;
  gate: Pick<ConcurrencyGate, 'acquire'>;
  /** The node types' circuit breakers: a run of a type whose breaker is open waits. */
  breakers: Pick<CircuitBreakers, 'admit'>;
  handoffs: Pick<Handoffs, 'take' | 'parentRun' | 'jobStarted' | 'jobEnded'>;
  runs: Pick<RunningNodes, 'start'>;
  recorder: Pick<OutcomeRecorder, 'recordCompleted' | 'recordFailure'>;
  /** The ends of attempts other than a completion (stops, failures, retries). */
  endings: Pick<AttemptEndings, 'aborted' | 'failed' | 'recordSpan'>;
  /** Which runs a job carries after its own. */
  carried: Pick<CarriedRuns, 'chooser' | 'refused' | 'observe' | 'addOwnJob' | 'goesOn'>;
  unstarted: Pick<UnstartedJobs, 'handle'>;
  subWorkflows: Pick<SubWorkflows, 'start'>;
  /** Map nodes: their items run as child executions. */
  maps: Pick<MapNodes, 'start'>;
  /** Runs `wait-for-signal` nodes. */
  signalWaits: Pick<SignalWaits, 'settle'>;
  events: Pick<EngineEvents, 'emit'>;
  /** Retries of the run's store and Redis calls (infrastructure errors). */
  infra: Pick<InfraRetry, 'run'>;
  /** The locks of the jobs this process runs. */
  leases: Pick<JobLeases, 'take' | 'release'>;
  logger: EngineLogger;
  crashes: Pick<CrashGuard, 'crashedOut' | 'fail'>;
  missingTypes: Pick<MissingNodeTypes, 'check' | 'error'>;
  /** Resolves the secret references of a node's config for each attempt. */
  secrets: Pick<NodeSecrets, 'has' | 'resolve'>;
  /** The largest node output (JSON bytes). */
  maxPayloadBytes: number;
  /** Opens the spans of node attempts. */
  tracing: Pick<ExecutionTracing, 'startAttempt'>;
}

/** The config of a node that has none (one object: the secret-reference lookup caches it). */
const NO_CONFIG: Record<string, unknown> = Object.freeze({});

/** A child a run's completion left for its job to carry, and the run it is a child of. */
interface Pending {
  from: Processing;
  child: CarriedChild;
  /** The execution's priority (a job of the child's own, if it must have one, gets it). */
  priority: number | undefined;
}

/**
 * A run the job carries next: its processing, and its run as its handoff began it — or
 * none, for a node the completion made ready without starting it (it begins in the store).
 */
interface Carried {
  p: Processing;
  begun?: StartedRun | undefined;
  /** The execution's priority (a job of the node's own, if it must have one, gets it). */
  priority: number | undefined;
  /** A rider's: the run token of the completion that started it (see CarriedChild.token). */
  startedBy?: string | undefined;
}

/**
 * Runs node jobs, one attempt each: begins the attempt in the store (which hands back the
 * node's input) or takes the run a parent's completion handed to this process, runs the
 * executor with an abortable context, and has the outcome recorded — or, for an attempt
 * that will be retried, its failure announced and the job handed back to BullMQ.
 */
export class NodeRunner {
  readonly #ctx: NodeRunnerContext;

  constructor(ctx: NodeRunnerContext) {
    this.#ctx = ctx;
  }

  /** BullMQ processor of the node queues. */
  async process(job: Job<NodeJobData>, token: string | undefined): Promise<void> {
    const { handoffs } = this.#ctx;
    const counted = job.queueName === NODE_QUEUE;
    if (counted) handoffs.jobStarted();
    const lease = this.#ctx.leases.take(job.id ?? '');
    const since = Date.now();
    // Taken before anything can change the job's data (the node type check may).
    const runToken = runTokenOf(job);
    try {
      // Its node crashed its worker too often: failed, not run.
      if (this.#ctx.crashes.crashedOut(job)) return await this.#ctx.crashes.fail(job);
      // (A busy worker's steps below mostly have nothing to wait for: no await then.)
      const data = job.data;
      const plan =
        this.#ctx.plans.cachedPlan(data.tenantId, data.workflowId, data.workflowVersion) ??
        (await this.#planOf(data));
      const node = planNode(plan, data.nodeId);
      if (!this.#ctx.registry.has(node.type) || data.typeWaitSince !== undefined) {
        await this.#ctx.missingTypes.check(plan, job, token);
      }
      // Workflow maxConcurrency: a slot for this run, or the job parks until one is free.
      const slot =
        plan.definition.maxConcurrency === undefined
          ? undefined
          : await this.#ctx.gate.acquire(plan, job, token);
      let breaker: BreakerTicket | undefined;
      try {
        // An open breaker of the node's type delays the job (no attempt used, no slot held).
        if (this.#registration(node)?.options.breaker !== undefined) {
          breaker = await this.#ctx.breakers.admit(node.type, job, token);
        }
        const tally = { carried: 0 };
        const turns = { last: loopTurn() };
        const own = { job, data, carried: 0, tally, turns, since, token, runToken, lease, breaker };
        await this.#runJob(own, plan);
      } finally {
        if (breaker) await breaker.finish();
        if (slot) await slot.release();
      }
    } catch (error) {
      if (!(error instanceof InfrastructureError)) throw error;
      // Not the node's failure: its job goes back to the queue with its retry budget
      // untouched (when Redis takes it; else it runs again once its lock expires).
      this.#ctx.logger.warn(`node job ${job.id} handed back: ${error.message}`);
      await job.moveToWait(token).catch(() => {
        throw error;
      });
      throw new WaitingError();
    } finally {
      this.#ctx.leases.release(lease);
      if (counted) handoffs.jobEnded();
    }
  }

  /**
   * The job's own node, then the runs it carries (see CarriedRuns; {@link runInTurn}: one
   * executes while the completion before it is recorded): its riders first (siblings its
   * node's parent gave it, see Riders), then the children completions left it, in the
   * order they were left. A rider not begun when a run throws (the job goes back to
   * BullMQ) gets a job of its own at once.
   */
  async #runJob(own: Processing, plan: WorkflowPlan): Promise<void> {
    await runInTurn<Pending>({
      first: (executed) => this.#run(own, plan, undefined, executed),
      pending: own.data.riders === undefined ? [] : await this.#riders(own, plan),
      carry: async (next) => {
        const carried = await this.#carry(plan, next);
        return carried && ((executed) => this.#run(carried.p, plan, carried, executed));
      },
      onFailure: (left) =>
        Promise.all(
          left
            .filter((next) => next.child.token !== undefined)
            .map((next) => this.#ownJob(plan, next, true)),
        ).then(
          () => {},
          (e: unknown) => {
            this.#ctx.logger.warn(`riders of node job ${own.job.id} left to its next run`, {
              error: errorMessage(e),
            });
          },
        ),
    });
  }

  /**
   * The riders of the job (see Riders), to run after its own node on its first processing
   * (counted against what it may carry); on any later one (it crashed, or went back to
   * BullMQ) each gets a job of its own instead — under a new run token, so that a run of
   * the earlier processing still going on is fenced out — and none is carried.
   */
  async #riders(own: Processing, plan: WorkflowPlan): Promise<Pending[]> {
    const { riders, riderToken } = own.data;
    if (riders === undefined || riderToken === undefined) return [];
    const { job } = own;
    const priority = job.opts.priority;
    const pending = riders.map((nodeId) => ({
      from: own,
      child: { nodeId, started: true, token: riderToken },
      priority,
    }));
    const first =
      job.attemptsMade === 0 && (job.attemptsStarted ?? 0) <= 1 && (job.stalledCounter ?? 0) === 0;
    if (first) {
      own.tally.carried += pending.length;
      return pending;
    }
    await Promise.all(pending.map((next) => this.#ownJob(plan, next, false)));
    return [];
  }

  /**
   * Adds the job of a child the job was to carry: its first processing continues the run
   * its completion started (`continues`), or begins a new one.
   */
  #ownJob(plan: WorkflowPlan, next: Pending, continues: boolean): Promise<void> {
    const { from: p, child, priority } = next;
    return this.#ctx.carried.addOwnJob(plan, carriedJobData(p.data, child.nodeId), {
      priority,
      traceContext: p.data.traceContext,
      parentRunToken: continues && child.started ? (child.token ?? p.runToken) : undefined,
      lease: p.lease,
    });
  }

  /** The plan of the workflow version a node job runs. */
  #planOf(data: NodeJobData): Promise<WorkflowPlan> {
    return this.#ctx.plans.getPlan(data.tenantId, data.workflowId, data.workflowVersion);
  }

  /**
   * Begins the run in the store under the processing's run token (retrying infrastructure
   * errors: a begin whose reply was lost is found again by its token) — or takes the run
   * a parent's completion started for this job's first processing.
   */
  async #begin(p: Processing, plan: WorkflowPlan) {
    const { job, runToken, lease, data } = p;
    // A carried node's first attempt (the carrier job's attempts are its own node's).
    const attempt = p.carried > 0 ? 1 : (data.attemptsBefore ?? 0) + job.attemptsMade + 1;
    const handedOff =
      runToken === data.startToken ? this.#ctx.handoffs.take(job.id, attempt) : undefined;
    return (
      handedOff ??
      (await this.#ctx.infra.run(
        `begin of node '${data.nodeId}'`,
        () => this.#ctx.store.beginNodeRun(plan, data.executionId, data.nodeId, attempt, runToken),
        lease,
      ))
    );
  }

  /**
   * One attempt: begin → execute → record; returns the children the job is to carry next.
   * `carried`: the run is one the job carries (begun already when taken from its handoff
   * just before). `executed` is called once the node settled as completed, before its
   * completion is recorded (the job's next run may then execute).
   */
  async #run(
    p: Processing,
    plan: WorkflowPlan,
    carried?: Carried,
    executed?: () => void,
  ): Promise<Pending[]> {
    const { job, token, data } = p;
    // From taking a handoff to registering the run (#execute) nothing is awaited, so an
    // abort order either dropped the handoff first or finds the run registered.
    const begun = carried?.begun ?? (await this.#begin(p, plan));
    if (!begun.started) {
      if (carried) {
        const { priority, startedBy } = carried;
        await this.#ctx.carried.refused(plan, p, begun, { priority, parentRunToken: startedBy });
      } else await this.#ctx.unstarted.handle(job, token, plan, begun);
      return [];
    }
    // The store numbers the attempt: a run that takes over from one that lost its lock
    // gets the next number, never the same.
    const attempt = begun.attempt;
    const node = planNode(plan, data.nodeId);
    const base = nodeRefOf(data, begun.tenantId, node.type);
    // Children may be handed to this process: their initial data is copied now, before this
    // node's executor could change the object it is given.
    const parentRun = this.#ctx.handoffs.parentRun(
      plan,
      data.nodeId,
      begun,
      job.queueName === NODE_QUEUE,
    );
    // A delay (or signal wait) node woken continues the attempt it started.
    const wokenDelay =
      (node.type === DELAY_NODE || node.type === WAIT_FOR_SIGNAL_NODE) &&
      data.delayStartedAt !== undefined;
    const startedAt = wokenDelay ? new Date(data.delayStartedAt!) : new Date();
    const otel = this.#ctx.tracing.startAttempt({ ...base, attempt, startedAt }, data.traceContext);
    const telemetry = new AttemptTelemetry(base, attempt, startedAt, otel);
    if (!wokenDelay) {
      telemetry.log('info', `node '${data.nodeId}' started (attempt ${attempt})`);
      // Its sequel (the attempt's end) is this process's to announce: it may linger.
      const started = { ...base, attempt, timestamp: isoTime(startedAt.getTime()) };
      this.#ctx.events.emit('node:started', started, { linger: true });
    }
    const settled = await this.#settle(p, plan, node, base, begun, telemetry, startedAt);
    const { endings } = this.#ctx;
    if (settled.kind === 'aborted') {
      await endings.aborted(p, settled.abort, telemetry, { plan, begun });
      return [];
    }
    if (settled.kind === 'result' && settled.result === WAITING) {
      // A sub-workflow or map node whose children now run: their end completes it.
      const what = node.type === MAP_NODE ? 'its items' : 'its sub-workflow';
      telemetry.log('info', `node '${data.nodeId}' waits for ${what}`);
      await endings.recordSpan(p, telemetry, 'running');
      return [];
    }
    const checked = checkSettled(settled, {
      nodeId: data.nodeId,
      nodeType: node.type,
      maxPayloadBytes: this.#ctx.maxPayloadBytes,
      output: this.#registration(node)?.checks.output,
    });
    const durationMs = Date.now() - startedAt.getTime();
    const maybeChild = begun.parentExecutionId !== undefined;
    // Failures, timeouts and retryable errors count against the type's breaker alike.
    p.breaker?.judge(checked.ok ? 'success' : 'failure');
    if (!checked.ok) {
      await endings.failed(p, plan, base, begun, checked, telemetry);
      return [];
    }
    const { result, dataText } = checked;
    telemetry.log('info', `node '${data.nodeId}' completed in ${durationMs} ms`);
    const carry = this.#carryChoice(plan, p, node.type, durationMs);
    executed?.();
    const next = await this.#ctx.recorder.recordCompleted(
      plan,
      base,
      {
        attempt,
        durationMs,
        priority: begun.priority,
        maybeChild,
        parentRun,
        carry,
        ...fenceOf(p),
      },
      { data: result.data, nextNodes: result.nextNodes, dataText },
      telemetry.close('ok'),
    );
    return next.map((child) => ({ from: p, child, priority: begun.priority }));
  }

  /** What the job of a run that completed may carry (its type's speed noted first). */
  #carryChoice(plan: WorkflowPlan, p: Processing, type: string, durationMs: number) {
    this.#ctx.carried.observe(type, durationMs);
    return this.#ctx.carried.chooser(plan, { job: p.job, since: p.since, tally: p.tally });
  }

  /**
   * The run of a child the job carries next: a started child's, taken from its handoff —
   * nothing may be awaited from the take until the run is registered — or undefined once
   * its own job was added (the handoff was gone, or the job may carry no more: its time
   * is up or carrying stopped); a ready child's, to begin in the store.
   */
  async #carry(plan: WorkflowPlan, next: Pending): Promise<Carried | undefined> {
    const { from: p, child, priority } = next;
    // A turn of the event loop between runs, as a job's hop would give: abort orders and
    // lock renewals come in (a handoff dropped meanwhile is not taken), this run's events go
    // out. A run whose recording waited for the store's reply took that turn already: the
    // child runs at once, and the events go out while its own recording waits.
    await turnAfter(p.turns.last);
    p.turns.last = loopTurn();
    const { nodeId } = child;
    const data = carriedJobData(p.data, nodeId);
    // Past the job's time, or once carrying stopped (closing, abort orders unheard): the
    // child gets its own job (a started one's first processing takes the started run).
    if (!this.#ctx.carried.goesOn(p)) {
      await this.#ownJob(plan, next, true);
      return undefined;
    }
    const { breaker: _notCarried, ...rest } = p;
    if (!child.started) {
      const runToken = randomUUID();
      return { p: { ...rest, data, carried: p.carried + 1, runToken }, priority };
    }
    const runToken = startedRunToken(child.token ?? p.runToken, nodeId);
    const carried = { ...rest, data, carried: p.carried + 1, runToken };
    // Its run as the completion handed it here — taken now: nothing is awaited until the
    // run is registered (an abort order either dropped it first or finds it registered).
    const run = this.#ctx.handoffs.take(nodeJobId(data.executionId, nodeId), 1);
    // A rider whose handoff is not here (its parent completed in another process) or may
    // not be taken begins in the store under its start token.
    if (run !== undefined || child.token !== undefined) {
      return { p: carried, begun: run, priority, startedBy: child.token };
    }
    // Any other such child gets its own job, whose first processing begins in the store
    // (which refuses it if its execution ended).
    await this.#ownJob(plan, next, true);
    return undefined;
  }

  /**
   * Runs the node until it settles: a delay node sleeps or passes its input on; any other
   * node's executor runs under its timeout, aborted if the job's lock is lost.
   */
  async #settle(
    p: Processing,
    plan: WorkflowPlan,
    node: Readonly<NodeDefinition>,
    base: NodeRef,
    begun: StartedRun,
    telemetry: AttemptTelemetry,
    startedAt: Date,
  ): Promise<Settled> {
    if (node.type === DELAY_NODE) {
      return runDelay(this.#ctx, p, node, begun, { telemetry, startedAt });
    }
    if (node.type === WAIT_FOR_SIGNAL_NODE) {
      return this.#ctx.signalWaits.settle(p, node, telemetry, startedAt);
    }
    const registration = this.#registration(node);
    const timeoutMs =
      node.timeoutMs ?? plan.definition.defaults?.timeoutMs ?? registration?.options.timeoutMs;
    // Its signal, once an executor asks for it, checks the job's lock whenever it is read.
    const run = this.#ctx.runs.start(base.executionId, base.nodeId, timeoutMs, (signal) =>
      checkLeaseOnRead(signal, p.lease),
    );
    p.lease.onLost(() => run.abort('lock-lost'));
    let settled: Settled;
    try {
      settled = await this.#execute(plan, base, begun, { registration, p }, telemetry, run);
    } catch (error) {
      settled = { kind: 'error', error };
    } finally {
      run.dispose();
    }
    // A vault that kept failing while the node's secrets were read: not the node's failure.
    if (settled.kind === 'error' && settled.error instanceof InfrastructureError) {
      throw settled.error;
    }
    // Told to stop while it returned: the stop wins (a lost lock, a cancel).
    if (settled.kind !== 'aborted' && run.kind !== undefined && run.kind !== 'timeout') {
      settled = { kind: 'aborted', abort: run.kind };
    } else if (settled.kind !== 'aborted' && !p.lease.check()) {
      settled = { kind: 'aborted', abort: 'lock-lost' };
    }
    if (settled.kind === 'aborted' && settled.abort === 'timeout') {
      settled = { kind: 'error', error: run.reason };
    }
    return settled;
  }

  /** The registration of a node's type in this process (none for a built-in node). */
  #registration(node: Readonly<NodeDefinition>): NodeTypeRegistration | undefined {
    return executorRegistration(this.#ctx.registry, node.type);
  }

  /**
   * Runs the node's executor (or starts its sub-workflow) until it settles or the run is
   * aborted. Registered with `run` before anything is awaited.
   */
  #execute(
    plan: WorkflowPlan,
    base: NodeRef,
    begun: StartedRun,
    type: { registration: NodeTypeRegistration | undefined; p: Processing },
    telemetry: AttemptTelemetry,
    run: RunningNode,
  ): Promise<Settled> {
    const { registration, p } = type;
    const attempt = begun.attempt;
    let execute: () => Promise<unknown>;
    if (base.nodeType === SUB_WORKFLOW_NODE) {
      // The child execution's span is a child of this attempt's.
      const trace = telemetry.otel?.traceContext;
      execute = () => this.#ctx.subWorkflows.start(plan, base, begun, attempt, trace);
    } else if (base.nodeType === MAP_NODE) {
      const trace = telemetry.otel?.traceContext;
      execute = () => this.#ctx.maps.start(plan, base, begun, attempt, trace);
    } else if (registration) {
      const mismatch = schemaMismatch('input', registration.checks.input, begun.inputData, base);
      if (mismatch) return Promise.resolve({ kind: 'error', error: mismatch });
      const executor = registration.executor;
      const config = planNode(plan, base.nodeId).config ?? NO_CONFIG;
      const call = (resolved?: Record<string, unknown>) =>
        executor.execute(
          executionContext(plan, base, begun, { attempt, run, config: resolved }, telemetry),
        );
      // Secret references are read for this attempt only, once its run is registered (an
      // abort meanwhile settles it; the executor is then not called).
      execute = !this.#ctx.secrets.has(config)
        ? () => call()
        : async () => {
            const resolved = await this.#ctx.secrets.resolve(base.tenantId, config, p.lease);
            if (!resolved.ok) throw resolved.error;
            telemetry.useMask(resolved.mask);
            run.signal.throwIfAborted();
            return call(resolved.config);
          };
    } else {
      throw this.#ctx.missingTypes.error(base.nodeType);
    }
    // The abort branch first: an executor that runs to its end synchronously after an abort
    // (it read a lost lease from ctx.signal) must still settle as aborted.
    const aborted = run.aborted.then((abort): Settled => ({ kind: 'aborted', abort }));
    return Promise.race([
      aborted,
      execute().then(
        (result): Settled => ({ kind: 'result', result }),
        (error: unknown): Settled => ({ kind: 'error', error }),
      ),
    ]);
  }

  /**
   * A job BullMQ gave up on without our processor deciding (it lost its worker more than
   * `maxStalledCount` times, or the store failed on the last attempt): record the node as
   * failed so the execution does not wait forever.
   */
  async onJobGivenUp(job: Job<NodeJobData>, err: Error): Promise<void> {
    if (job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled/i.test(err.message)) return;
    try {
      const data = job.data;
      const plan = await this.#planOf(data);
      const base = nodeRefOf(data, data.tenantId, planNode(plan, data.nodeId).type);
      const attempt = (data.attemptsBefore ?? 0) + job.attemptsMade;
      await this.#ctx.recorder.recordFailure(
        plan,
        base,
        { attempt, maybeChild: true },
        { message: err.message, stack: err.stack, inputData: undefined },
      );
    } catch (e) {
      this.#ctx.logger.error('could not record a failed job', {
        jobId: job.id,
        error: errorMessage(e),
      });
    }
  }
}

/**
 * The run token of a job's processing: a woken delay (or signal wait) node continues the run it started; a
 * job's first processing — or the first after workers lacking its node type handed it back
 * (nothing was begun then) — takes the token its node was started under by a parent's
 * completion (if it was); any other processing is a new run.
 */
function runTokenOf(job: Job<NodeJobData>): string {
  const data = job.data;
  if (data.delayRunToken !== undefined) return data.delayRunToken;
  const notBegun = (job.attemptsStarted ?? 0) <= 1 || data.typeWaitSince !== undefined;
  const first = job.attemptsMade === 0 && notBegun;
  return first && data.startToken !== undefined ? data.startToken : randomUUID();
}

/** The node a job's data names, as runs and events refer to it. */
function nodeRefOf(data: NodeJobData, tenantId: string, nodeType: string): NodeRef {
  return {
    executionId: data.executionId,
    workflowId: data.workflowId,
    tenantId,
    nodeId: data.nodeId,
    nodeType,
  };
}

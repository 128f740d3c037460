import { randomUUID } from 'node:crypto';
import {
  assertPayloadSize,
  type CreateExecutionResult,
  DEFAULT_TENANT,
  type EnqueueOptions,
  type ExecutionState,
  type ExecutionStore,
  InvalidArgumentError,
  type TraceContext,
  traceContextOf,
  WorkflowNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import { settled, TIMED_OUT, within } from './bounded-wait.js';
import { type EngineEvents, executionEvent } from './engine-events.js';
import type { ExecutionQuota, QuotaClaim } from './execution-quota.js';
import type { Handoffs } from './handoffs.js';
import type { EnqueueNodeOptions, NodeEnqueuer, NodeJob } from './node-enqueuer.js';
import type { PlanSource } from './plan-source.js';
import { checkPriority, startDelay } from './start-checks.js';
import type { StartOutcomes } from './start-outcomes.js';
import type { StartRepair } from './start-repair.js';
import type { ExecutionLauncher } from './sub-workflow-node.js';
import type { ExecutionTracing } from './tracing.js';
import type { WorkflowTimeouts } from './workflow-timeouts.js';

/** A checked start request: the plan to run and the store input to create it with. */
export interface PreparedStart {
  plan: WorkflowPlan;
  input: Parameters<ExecutionStore['createExecution']>[0];
  /** How long its first nodes wait (ms). */
  delay: number;
  /**
   * The trace context the start request came with (its execution span's parent); once the
   * span is open (`spanOpen`), the span's own.
   */
  traceContext?: TraceContext | undefined;
  /** The execution span was opened (see ExecutionStarter.#openSpans). */
  spanOpen?: boolean;
}

/** A start request that passed the synchronous checks; its workflow not read yet. */
interface CheckedStart {
  input: Omit<PreparedStart['input'], 'plan'> & { tenantId: string };
  delay: number;
  traceContext: TraceContext | undefined;
}

/** What {@link ExecutionStarter} needs. */
export interface ExecutionStarterContext {
  store: Pick<ExecutionStore, 'getWorkflow' | 'createExecution'>;
  plans: Pick<PlanSource, 'getPlan'>;
  handoffs: Pick<Handoffs, 'startableEntries' | 'handOffEntries'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes' | 'nodeJobs' | 'addJobs' | 'prime'>;
  timeouts: Pick<WorkflowTimeouts, 'arm' | 'armAll'>;
  events: Pick<EngineEvents, 'emit'>;
  /** Settles the executions of a start that failed half-way. */
  outcomes: Pick<StartOutcomes, 'failed'>;
  /** Queues what is missing of an execution an earlier call with the same key created. */
  repair: Pick<StartRepair, 'repair'>;
  /** The tenants' active-execution quota: a slot per execution, reserved before it is created. */
  quota: Pick<ExecutionQuota, 'reserve' | 'release' | 'failed'>;
  /** The largest initial data (JSON bytes). */
  maxPayloadBytes: number;
  /** How long a start waits for Redis to take its first jobs before it gives up (ms). */
  enqueueTimeoutMs: number;
  /** Opens the executions' spans. */
  tracing: Pick<ExecutionTracing, 'startExecution' | 'endExecution'>;
}

/** The quota claim of a start's store input. */
function claimOf(
  input: Pick<PreparedStart['input'], 'tenantId' | 'executionId' | 'idempotencyKey'>,
): QuotaClaim {
  const claim: QuotaClaim = {
    tenantId: input.tenantId ?? DEFAULT_TENANT,
    executionId: input.executionId!,
  };
  if (input.idempotencyKey !== undefined) claim.idempotencyKey = input.idempotencyKey;
  return claim;
}

/**
 * A start's trace context, normalised (see `traceContextOf`).
 * @throws InvalidArgumentError when it is given and not a valid W3C trace context
 */
function checkedTraceContext(given: TraceContext | undefined): TraceContext | undefined {
  if (given === undefined) return undefined;
  const checked =
    typeof given === 'object' && given !== null
      ? traceContextOf({ traceparent: given.traceparent, tracestate: given.tracestate })
      : undefined;
  if (!checked) {
    throw new InvalidArgumentError('traceContext.traceparent must be a W3C traceparent');
  }
  return checked;
}

/** The error of a start whose Redis work did not end within `enqueueTimeoutMs`. */
class EnqueueTimeout extends Error {
  constructor(ms: number) {
    super(`Redis did not take the first jobs within ${ms} ms`);
    this.name = 'EnqueueTimeout';
  }
}

/**
 * Starts executions: checks a request, creates the execution in the store (starting the
 * entry nodes a free worker of this process will run), arms its workflow timeout,
 * announces it and enqueues its first nodes.
 *
 * A start has a definite outcome: it resolves once the execution's first jobs are in
 * Redis, or rejects — EnqueueFailedError when nothing of it will run (a created execution
 * is cancelled), EnqueueOutcomeUnknownError when that cannot be ensured (see
 * StartOutcomes). A start whose idempotency key names an existing execution that is still
 * pending or running queues whatever of it is missing (StartRepair), so a retry after
 * a failure finishes the start at once.
 */
export class ExecutionStarter implements ExecutionLauncher {
  readonly #ctx: ExecutionStarterContext;

  constructor(ctx: ExecutionStarterContext) {
    this.#ctx = ctx;
  }

  /**
   * Checks a start request and resolves the plan of the workflow's current version.
   * @throws WorkflowNotFoundError | PayloadTooLargeError | InvalidArgumentError
   */
  async prepare(
    workflowId: string,
    initialData: unknown,
    options: EnqueueOptions = {},
    metadata?: Record<string, unknown>,
  ): Promise<PreparedStart> {
    return this.#resolve(this.#check(initialData, options), workflowId, metadata);
  }

  /**
   * Checks, prepares and starts one execution (`enqueueWorkflow`); returns its id. Its
   * tenant's quota slot is reserved while the workflow is read (given back when the
   * workflow is not found or its span cannot be opened), so a start waits for one round
   * trip of the two, not both.
   * @throws WorkflowNotFoundError | PayloadTooLargeError | InvalidArgumentError | QuotaExceededError | EnqueueFailedError | EnqueueOutcomeUnknownError
   */
  async enqueue(
    workflowId: string,
    initialData: unknown,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const checked = this.#check(initialData, options);
    const claim = claimOf(checked.input);
    const reserving = this.#ctx.quota.reserve([claim]);
    // Its refusal is thrown where it is awaited (#withSlots), or dropped for the read's.
    void settled(reserving);
    let prepared: PreparedStart;
    try {
      prepared = await this.#resolve(checked, workflowId);
      await this.#openSpans([prepared]);
    } catch (err) {
      const held = await reserving.then(
        () => true,
        () => false,
      );
      if (held) await this.#ctx.quota.release([claim]);
      throw err;
    }
    const work = async () => [await this.#startOne(prepared)];
    const [id] = await this.#withSlots([prepared], work, () => reserving);
    return id!;
  }

  /** The synchronous checks of a start request; the store input without its plan. */
  #check(initialData: unknown, options: EnqueueOptions): CheckedStart {
    const delay = startDelay(options);
    checkPriority(options.priority);
    assertPayloadSize('initialData', initialData, this.#ctx.maxPayloadBytes);
    const traceContext = checkedTraceContext(options.traceContext);
    // An id of the engine's choosing: a create whose reply is lost can still be undone.
    const input: CheckedStart['input'] = {
      tenantId: options.tenantId ?? DEFAULT_TENANT,
      initialData,
      executionId: randomUUID(),
    };
    if (options.idempotencyKey !== undefined) input.idempotencyKey = options.idempotencyKey;
    if (options.priority !== undefined) input.priority = options.priority;
    return { input, delay, traceContext };
  }

  /** A checked start with the plan of its workflow's current version (one store read). */
  async #resolve(
    checked: CheckedStart,
    workflowId: string,
    metadata?: Record<string, unknown>,
  ): Promise<PreparedStart> {
    const tenantId = checked.input.tenantId;
    const stored = await this.#ctx.store.getWorkflow(workflowId, { tenantId });
    if (!stored) throw new WorkflowNotFoundError(workflowId);
    const plan = await this.#ctx.plans.getPlan(tenantId, workflowId, stored.version);
    const input: PreparedStart['input'] = { plan, ...checked.input };
    if (metadata !== undefined) input.metadata = metadata;
    return { plan, input, delay: checked.delay, traceContext: checked.traceContext };
  }

  /**
   * Creates and launches one prepared execution; returns its id. Its tenant's quota slot
   * is reserved first (given back when the start created nothing).
   * @throws QuotaExceededError | EnqueueFailedError | EnqueueOutcomeUnknownError
   */
  async start(prepared: PreparedStart): Promise<string> {
    const [id] = await this.#withSlots([prepared], async () => [await this.#startOne(prepared)]);
    return id!;
  }

  /**
   * Reserves the quota slots of prepared starts (all or none; `reserve` awaits a
   * reservation made already), runs `work`, and gives back
   * the slots of the executions it did not create (an idempotency key's existing
   * execution) or, when it throws, of those that will not run.
   */
  async #withSlots(
    prepared: readonly PreparedStart[],
    work: () => Promise<CreateExecutionResult[]>,
    reserve?: () => Promise<void>,
  ): Promise<string[]> {
    const { quota, tracing } = this.#ctx;
    const claims = prepared.map((p) => claimOf(p.input));
    await this.#openSpans(prepared);
    let results: CreateExecutionResult[];
    try {
      await (reserve ? reserve() : quota.reserve(claims));
      try {
        results = await work();
      } catch (err) {
        await quota.failed(claims, err);
        throw err;
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const c of claims) tracing.endExecution(c.executionId, 'failed', message);
      throw err;
    }
    const unused = claims.filter((c, i) => {
      const r = results[i]!;
      return !(r.created && r.execution.executionId === c.executionId);
    });
    // A start that found its idempotency key's execution created nothing.
    for (const c of unused) tracing.endExecution(c.executionId, 'duplicate');
    if (unused.length > 0) await quota.release(unused);
    return results.map((r) => r.execution.executionId);
  }

  /**
   * Opens the execution spans of prepared starts (children of their requests' contexts)
   * that have none open yet; each execution is created with its span's context in
   * `metadata.traceContext`, from which every node job it ever gets takes it.
   */
  async #openSpans(prepared: readonly PreparedStart[]): Promise<void> {
    await Promise.all(
      prepared
        .filter((p) => !p.spanOpen)
        .map(async (p) => {
          const { input, plan } = p;
          const traceContext = await this.#ctx.tracing.startExecution(
            {
              executionId: input.executionId!,
              workflowId: plan.workflowId,
              workflowVersion: plan.version,
              tenantId: input.tenantId ?? DEFAULT_TENANT,
              depth: 0,
            },
            p.traceContext,
          );
          p.traceContext = traceContext;
          p.spanOpen = true;
          if (traceContext) input.metadata = { ...input.metadata, traceContext };
        }),
    );
  }

  async #startOne(prepared: PreparedStart): Promise<CreateExecutionResult> {
    const { handoffs, outcomes } = this.#ctx;
    // Entry nodes a free worker here will run start with the execution (no begin write).
    const ticket = handoffs.startableEntries(prepared.plan, prepared.delay > 0);
    const runToken = randomUUID();
    const input = ticket ? { ...prepared.input, start: ticket.nodes, runToken } : prepared.input;
    const { plan, tenantId = DEFAULT_TENANT, priority } = prepared.input;
    // Fair scheduling's tags for the entry nodes' jobs come back while the store writes.
    this.#ctx.enqueuer.prime(plan, plan.entryNodes, tenantId, priority);
    let result: CreateExecutionResult;
    try {
      result = await this.#ctx.store.createExecution(input);
    } catch (err) {
      throw await outcomes.failed([input], [{ status: 'rejected', reason: err }], err);
    } finally {
      ticket?.release();
    }
    const { execution, created, ready, started } = result;
    try {
      await this.#bounded(async () => {
        if (!created) {
          await this.#ctx.repair.repair(prepared.plan, execution, prepared.delay);
          return;
        }
        if (ticket && started && started.length > 0) {
          handoffs.handOffEntries(prepared.plan, execution, started, ticket);
        }
        await this.launch(prepared.plan, execution, ready, {
          announce: true,
          delay: prepared.delay,
          started: started && started.length > 0 ? { runToken, nodes: started } : undefined,
          traceContext: prepared.traceContext,
          spanOpen: prepared.spanOpen,
        });
      });
    } catch (err) {
      throw await outcomes.failed([input], [{ status: 'fulfilled', value: result }], err);
    }
    return result;
  }

  /** Starts every prepared execution: one at once, several as {@link startMany} does. */
  async startAll(prepared: readonly PreparedStart[]): Promise<string[]> {
    if (prepared.length === 1) return [await this.start(prepared[0]!)];
    return this.#startPrepared(prepared);
  }

  async launch(
    plan: WorkflowPlan,
    execution: ExecutionState,
    ready: readonly string[],
    opts: {
      announce: boolean;
      delay: number;
      started?: EnqueueNodeOptions['started'];
      traceContext?: TraceContext | undefined;
      /** Its span is open already: `traceContext` is the span's. */
      spanOpen?: boolean | undefined;
    },
  ): Promise<void> {
    // The timer and the event go out before the first job: once a node can run, its
    // events (from any engine) must follow `workflow:started`, and a run that finishes at
    // once must find its timeout job there to remove.
    if (opts.announce) {
      if (plan.definition.timeoutMs !== undefined) {
        await this.#ctx.timeouts.arm(execution.executionId, opts.delay + plan.definition.timeoutMs);
      }
      this.#ctx.events.emit('workflow:started', executionEvent(execution));
    }
    const traceContext =
      opts.announce && !opts.spanOpen
        ? await this.#traceOf(plan, execution, opts.traceContext)
        : opts.traceContext;
    await this.#ctx.enqueuer.enqueueNodes(plan, execution.executionId, ready, execution.tenantId, {
      priority: execution.priority,
      delay: opts.delay,
      started: opts.started,
      traceContext,
    });
  }

  /** Opens a created execution's span; the trace context its node jobs carry. */
  #traceOf(
    plan: WorkflowPlan,
    execution: ExecutionState,
    parent: TraceContext | undefined,
  ): Promise<TraceContext | undefined> {
    const input = {
      executionId: execution.executionId,
      workflowId: plan.workflowId,
      workflowVersion: plan.version,
      tenantId: execution.tenantId,
      depth: execution.depth,
      parentExecutionId: execution.parentExecutionId,
      startedAt: new Date(execution.createdAt),
    };
    return this.#ctx.tracing.startExecution(input, parent);
  }

  /**
   * Starts several executions; ids are returned in request order. Every request is checked
   * before any execution is created; the executions' first jobs are added together (one
   * `addBulk` per queue), as are their workflow-timeout timers. All or nothing: when one
   * fails, the others are settled as a failed start's (see StartOutcomes). The quota slots
   * of all of them are reserved first, all or none.
   * @throws QuotaExceededError | EnqueueFailedError | EnqueueOutcomeUnknownError
   */
  async startMany(
    requests: { workflowId: string; initialData?: unknown; options?: EnqueueOptions }[],
  ): Promise<string[]> {
    if (!Array.isArray(requests)) throw new InvalidArgumentError('requests must be an array');
    const prepared = await Promise.all(
      requests.map((r) => this.prepare(r.workflowId, r.initialData, r.options)),
    );
    return this.#startPrepared(prepared);
  }

  #startPrepared(prepared: readonly PreparedStart[]): Promise<string[]> {
    return this.#withSlots(prepared, () => this.#createAndLaunch(prepared));
  }

  async #createAndLaunch(prepared: readonly PreparedStart[]): Promise<CreateExecutionResult[]> {
    const { store, outcomes } = this.#ctx;
    const inputs = prepared.map((p) => p.input);
    const creates = await Promise.allSettled(inputs.map((input) => store.createExecution(input)));
    const failed = creates.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) throw await outcomes.failed(inputs, creates, failed.reason);
    const results = creates.map((c) => (c as PromiseFulfilledResult<CreateExecutionResult>).value);
    try {
      await this.#bounded(() => this.#launchMany(prepared, results));
    } catch (err) {
      throw await outcomes.failed(inputs, creates, err);
    }
    return results;
  }

  /** Arms the timers, announces and adds the first jobs of created executions together. */
  async #launchMany(
    prepared: readonly PreparedStart[],
    results: readonly CreateExecutionResult[],
  ): Promise<void> {
    const { enqueuer, events } = this.#ctx;
    const timers: { executionId: string; delayMs: number }[] = [];
    const jobs: NodeJob[] = [];
    const repairs: (() => Promise<unknown>)[] = [];
    const createdHere = new Set(
      results.filter((r) => r.created).map((r) => r.execution.executionId),
    );
    results.forEach(({ execution, created, ready }, i) => {
      const { plan, delay } = prepared[i]!;
      if (!created) {
        // One this call creates (the same key twice) gets its jobs below.
        if (!createdHere.has(execution.executionId)) {
          repairs.push(() => this.#ctx.repair.repair(plan, execution, delay));
        }
        return;
      }
      const { executionId, tenantId, priority } = execution;
      if (plan.definition.timeoutMs !== undefined) {
        timers.push({ executionId, delayMs: delay + plan.definition.timeoutMs });
      }
      const { traceContext } = prepared[i]!;
      jobs.push(
        ...enqueuer.nodeJobs(plan, executionId, ready, tenantId, { priority, delay, traceContext }),
      );
    });
    // As in launch: timers and workflow:started go out before the first job.
    await this.#ctx.timeouts.armAll(timers);
    for (const { execution, created } of results) {
      if (created) events.emit('workflow:started', executionEvent(execution));
    }
    await enqueuer.addJobs(jobs);
    await Promise.all(repairs.map((repair) => repair()));
  }

  /** Runs a start's Redis work, failing it after `enqueueTimeoutMs`. */
  async #bounded(work: () => Promise<void>): Promise<void> {
    const ms = this.#ctx.enqueueTimeoutMs;
    if ((await within(work(), ms)) === TIMED_OUT) throw new EnqueueTimeout(ms);
  }
}

import { randomUUID } from 'node:crypto';
import {
  assertPayloadSize,
  type CreateExecutionResult,
  DEFAULT_TENANT,
  type EnqueueOptions,
  type ExecutionState,
  type ExecutionStore,
  InvalidArgumentError,
  WorkflowNotFoundError,
  type WorkflowPlan,
} from '@spane/core';
import { type EngineEvents, executionEvent } from './engine-events.js';
import type { Handoffs } from './handoffs.js';
import type { EnqueueNodeOptions, NodeEnqueuer, NodeJob } from './node-enqueuer.js';
import type { PlanSource } from './plan-source.js';
import type { ExecutionLauncher } from './sub-workflow-node.js';
import type { WorkflowTimeouts } from './workflow-timeouts.js';

/** A checked start request: the plan to run and the store input to create it with. */
export interface PreparedStart {
  plan: WorkflowPlan;
  input: Parameters<ExecutionStore['createExecution']>[0];
  /** How long its first nodes wait (ms). */
  delay: number;
}

/** What {@link ExecutionStarter} needs. */
export interface ExecutionStarterContext {
  store: Pick<ExecutionStore, 'getWorkflow' | 'createExecution'>;
  plans: Pick<PlanSource, 'getPlan'>;
  handoffs: Pick<Handoffs, 'startableEntries' | 'handOffEntries'>;
  enqueuer: Pick<NodeEnqueuer, 'enqueueNodes' | 'nodeJobs' | 'addJobs'>;
  timeouts: Pick<WorkflowTimeouts, 'arm' | 'armAll'>;
  events: Pick<EngineEvents, 'emit'>;
  /** The largest initial data (JSON bytes). */
  maxPayloadBytes: number;
}

/**
 * Starts executions: checks a request, creates the execution in the store (starting the
 * entry nodes a free worker of this process will run), arms its workflow timeout,
 * announces it and enqueues its first nodes.
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
    const delay = startDelay(options);
    if (
      options.priority !== undefined &&
      !(
        Number.isInteger(options.priority) &&
        options.priority >= 1 &&
        options.priority <= 2_097_152
      )
    ) {
      throw new InvalidArgumentError('priority must be an integer from 1 (highest) to 2097152');
    }
    assertPayloadSize('initialData', initialData, this.#ctx.maxPayloadBytes);
    const tenantId = options.tenantId ?? DEFAULT_TENANT;
    const stored = await this.#ctx.store.getWorkflow(workflowId, { tenantId });
    if (!stored) throw new WorkflowNotFoundError(workflowId);
    const plan = await this.#ctx.plans.getPlan(tenantId, workflowId, stored.version);
    const input: PreparedStart['input'] = { plan, tenantId, initialData };
    if (options.idempotencyKey !== undefined) input.idempotencyKey = options.idempotencyKey;
    if (options.priority !== undefined) input.priority = options.priority;
    if (metadata !== undefined) input.metadata = metadata;
    return { plan, input, delay };
  }

  /** Creates and launches one prepared execution; returns its id. */
  async start(prepared: PreparedStart): Promise<string> {
    const { handoffs } = this.#ctx;
    // Entry nodes a free worker here will run start with the execution (no begin write).
    const ticket = handoffs.startableEntries(prepared.plan, prepared.delay > 0);
    const runToken = randomUUID();
    const input = ticket ? { ...prepared.input, start: ticket.nodes, runToken } : prepared.input;
    let result: CreateExecutionResult;
    try {
      result = await this.#ctx.store.createExecution(input);
    } finally {
      ticket?.release();
    }
    const { execution, created, ready, started } = result;
    if (created) {
      if (ticket && started && started.length > 0) {
        handoffs.handOffEntries(prepared.plan, execution, started, ticket);
      }
      await this.launch(prepared.plan, execution, ready, {
        announce: true,
        delay: prepared.delay,
        started: started && started.length > 0 ? { runToken, nodes: started } : undefined,
      });
    }
    return execution.executionId;
  }

  async launch(
    plan: WorkflowPlan,
    execution: ExecutionState,
    ready: readonly string[],
    opts: { announce: boolean; delay: number; started?: EnqueueNodeOptions['started'] },
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
    await this.#ctx.enqueuer.enqueueNodes(plan, execution.executionId, ready, execution.tenantId, {
      priority: execution.priority,
      delay: opts.delay,
      started: opts.started,
    });
  }

  /**
   * Starts several executions; ids are returned in request order. Every request is checked
   * before any execution is created; the executions' first jobs are added together (one
   * `addBulk` per queue), as are their workflow-timeout timers.
   */
  async startMany(
    requests: { workflowId: string; initialData?: unknown; options?: EnqueueOptions }[],
  ): Promise<string[]> {
    if (!Array.isArray(requests)) throw new InvalidArgumentError('requests must be an array');
    const prepared = await Promise.all(
      requests.map((r) => this.prepare(r.workflowId, r.initialData, r.options)),
    );
    const { store, enqueuer, events } = this.#ctx;
    const results = await Promise.all(prepared.map((p) => store.createExecution(p.input)));
    const timers: { executionId: string; delayMs: number }[] = [];
    const jobs: NodeJob[] = [];
    results.forEach(({ execution, created, ready }, i) => {
      if (!created) return;
      const { plan, delay } = prepared[i]!;
      const { executionId, tenantId, priority } = execution;
      if (plan.definition.timeoutMs !== undefined) {
        timers.push({ executionId, delayMs: delay + plan.definition.timeoutMs });
      }
      jobs.push(...enqueuer.nodeJobs(plan, executionId, ready, tenantId, { priority, delay }));
    });
    // As in launch: timers and workflow:started go out before the first job.
    await this.#ctx.timeouts.armAll(timers);
    for (const { execution, created } of results) {
      if (created) events.emit('workflow:started', executionEvent(execution));
    }
    await enqueuer.addJobs(jobs);
    return results.map((r) => r.execution.executionId);
  }
}

/** The delay a start request asks for (`delayMs` or `runAt`), in ms from now. */
function startDelay(options: EnqueueOptions): number {
  if (options.delayMs !== undefined && options.runAt !== undefined) {
    throw new InvalidArgumentError('give delayMs or runAt, not both');
  }
  if (options.delayMs !== undefined) {
    if (!Number.isFinite(options.delayMs) || options.delayMs < 0) {
      throw new InvalidArgumentError('delayMs must be a non-negative number');
    }
    return Math.floor(options.delayMs);
  }
  if (options.runAt !== undefined) {
    const at = options.runAt instanceof Date ? options.runAt.getTime() : Date.parse(options.runAt);
    if (Number.isNaN(at)) throw new InvalidArgumentError('runAt must be a date');
    return Math.max(0, at - Date.now());
  }
  return 0;
}

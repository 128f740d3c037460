import { WorkflowEngine } from '@spane/bullmq';
import { type ExecutionState, NodeRegistry, type WorkflowDefinition } from '@spane/core';
import { Redis } from 'ioredis';
import type { SqlObservation } from './cost-probe.js';
import { deleteKeys } from './measure.js';
import type { ImplName, Runner, RunnerContext } from './runner.js';
import type { OpenedStore } from './stores.js';
import { checkSinks, makeNode, type Tally, type Workload } from './workloads.js';

/** The no-op node type every bench workflow uses. */
const NODE_TYPE = 'bench.node';

/** A registry with the workload's no-op node (its runs counted in `tally`). */
export function benchRegistry(workload: Workload, tally: Tally): NodeRegistry {
  const registry = new NodeRegistry();
  const node = makeNode(workload, tally);
  registry.register(NODE_TYPE, {
    async execute(ectx) {
      const inputs: Record<string, unknown> = {};
      for (const [parent, result] of Object.entries(ectx.previousResults)) {
        inputs[parent] = result.data;
      }
      return { success: true, data: node(ectx.nodeId, inputs) };
    },
  });
  return registry;
}

/**
 * SPANE's WorkflowEngine on a given store, with default engine options apart from the
 * prefix. Completion is detected from the engine's `workflow:completed` /
 * `workflow:failed` / `workflow:cancelled` events (one listener for all executions; an
 * event heard before `enqueueWorkflow` returned is kept until its waiter arrives).
 */
export class SpaneRunner implements Runner {
  readonly impl: ImplName;
  readonly prefix: string;
  readonly redis: Redis;
  readonly tally: Tally = { runs: 0, problems: [] };
  readonly sql?: SqlObservation;
  readonly #ctx: RunnerContext;
  readonly #opened: OpenedStore;
  readonly #engine: WorkflowEngine;
  readonly #workflowId: string;
  readonly #waiting = new Map<string, { resolve(id: string): void; reject(e: Error): void }>();
  /** Outcomes heard before their waiter was registered: error message, or null for completed. */
  readonly #early = new Map<string, string | null>();
  /** Lines the engine logged at `error` level: counted as correctness problems. */
  readonly #engineErrors: string[] = [];

  private constructor(impl: ImplName, ctx: RunnerContext, opened: OpenedStore) {
    this.impl = impl;
    this.#ctx = ctx;
    this.prefix = ctx.prefix;
    this.#opened = opened;
    if (opened.sql) this.sql = opened.sql;
    this.#workflowId = `bench-${ctx.workload.id.toLowerCase()}`;
    this.redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const registry = benchRegistry(ctx.workload, this.tally);
    const print =
      (level: 'warn' | 'error') => (message: string, meta?: Record<string, unknown>) => {
        const line = `[spane ${impl} ${level}] ${message} ${meta ? JSON.stringify(meta) : ''}`;
        if (level === 'error' && this.#engineErrors.length < 20) this.#engineErrors.push(line);
        console.warn(line);
      };
    this.#engine = new WorkflowEngine(registry, opened.store, this.redis, {
      prefix: ctx.prefix,
      ...(ctx.fairScheduling === undefined ? {} : { fairScheduling: ctx.fairScheduling }),
      logger: { debug() {}, info() {}, warn: print('warn'), error: print('error') },
    });
  }

  /** An engine on the store, its workflow registered and its workers started. */
  static async start(
    impl: ImplName,
    ctx: RunnerContext,
    opened: OpenedStore,
  ): Promise<SpaneRunner> {
    const runner = new SpaneRunner(impl, ctx, opened);
    try {
      await runner.#start();
    } catch (err) {
      await runner.close().catch(() => {});
      throw err;
    }
    return runner;
  }

  async #start(): Promise<void> {
    const { workload } = this.#ctx;
    const definition: WorkflowDefinition = {
      id: this.#workflowId,
      name: workload.title,
      nodes: workload.shape.nodes.map((n) =>
        n.parents.length > 0
          ? { id: n.id, type: NODE_TYPE, inputs: [...n.parents] }
          : { id: n.id, type: NODE_TYPE },
      ),
    };
    await this.#engine.registerWorkflow(definition);
    this.#engine.on('workflow:completed', (p) => this.#settle(p.executionId, null));
    this.#engine.on('workflow:failed', (p) =>
      this.#settle(p.executionId, `failed at node '${p.nodeId ?? '?'}': ${p.error}`),
    );
    this.#engine.on('workflow:cancelled', (p) => this.#settle(p.executionId, 'cancelled'));
    const workers = this.#ctx.workers ?? workload.concurrency;
    if (workers > 0) await this.#engine.startWorkers(workers);
  }

  #settle(executionId: string, error: string | null): void {
    const waiter = this.#waiting.get(executionId);
    if (!waiter) {
      this.#early.set(executionId, error);
      return;
    }
    this.#waiting.delete(executionId);
    if (error === null) waiter.resolve(executionId);
    else waiter.reject(new Error(`execution ${executionId} ${error}`));
  }

  async execute(): Promise<string> {
    const id = await this.#engine.enqueueWorkflow(this.#workflowId);
    return new Promise<string>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      if (this.#early.has(id)) {
        const error = this.#early.get(id)!;
        this.#early.delete(id);
        this.#settle(id, error);
      }
    });
  }

  async verify(executionIds: readonly string[]): Promise<string[]> {
    const { shape } = this.#ctx.workload;
    const problems: string[] = [...this.#engineErrors];
    let wrong = 0;
    const check = (id: string, state: ExecutionState | null): void => {
      const found: string[] = [];
      if (!state) found.push(`execution ${id} not found in the store`);
      else {
        if (state.status !== 'completed') found.push(`execution ${id} is ${state.status}`);
        const nodes = Object.entries(state.nodeResults);
        const done = nodes.filter(([, n]) => n.status === 'completed').length;
        if (nodes.length !== shape.nodes.length || done !== shape.nodes.length) {
          found.push(
            `execution ${id}: ${done} of ${shape.nodes.length} nodes completed (${nodes.length} recorded)`,
          );
        }
        const sinks: Record<string, unknown> = {};
        for (const s of shape.sinks) sinks[s] = state.nodeResults[s]?.data;
        found.push(...checkSinks(shape, id, sinks));
      }
      if (found.length > 0) {
        wrong += 1;
        if (problems.length < 20) problems.push(...found);
      }
    };
    // A bounded number of reads at once, so a large verify does not flood the store's pool.
    const ids = [...executionIds];
    const workers = Array.from({ length: Math.min(8, ids.length) }, async () => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        check(id, await this.#engine.getExecution(id));
      }
    });
    await Promise.all(workers);
    if (wrong > 0) problems.push(`${wrong} of ${executionIds.length} executions are wrong`);
    return problems;
  }

  pending(): string[] {
    return [...this.#waiting.keys()];
  }

  async describe(executionIds: readonly string[]): Promise<string[]> {
    const lines: string[] = [];
    for (const id of executionIds.slice(0, 5)) {
      const state = await this.#engine.getExecution(id);
      const nodes = Object.entries(state?.nodeResults ?? {})
        .map(([n, s]) => `${n}=${s.status}${s.attempts > 1 ? `(${s.attempts} attempts)` : ''}`)
        .join(' ');
      lines.push(`spane ${this.impl} ${id}: ${state?.status ?? 'not found'}; ${nodes}`);
    }
    lines.push(`spane ${this.impl} queue: ${JSON.stringify(await this.#engine.getQueueStats())}`);
    return lines;
  }

  async dropFinished(): Promise<void> {
    const finishedBefore = new Date(Date.now() + 60_000).toISOString();
    while ((await this.#opened.store.purgeExecutions({ finishedBefore, limit: 1000 })) > 0) {
      // purge in pages
    }
  }

  async close(): Promise<void> {
    await this.#engine.close();
    await deleteKeys(this.redis, `${this.prefix}:*`);
    await this.#opened.dispose();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

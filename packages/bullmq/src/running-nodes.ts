import { NodeRunCancelledError, NodeTimeoutError } from '@spane/core';
import type { Handoffs } from './handoffs.js';

/** Why a running node was told to stop. */
export type AbortKind = 'cancelled' | 'failed' | 'shutdown' | 'timeout' | 'lock-lost';

/** What {@link RunningNodes} needs: the handoffs to drop with an execution's abort. */
export interface RunningNodesContext {
  handoffs: Pick<Handoffs, 'drop'>;
  /** The timeout of a run whose node, workflow and node type set none (none when undefined). */
  defaultTimeoutMs?: number | undefined;
}

/**
 * The node runs of this process, by execution, and the orders that stop them: an abort of
 * an execution (cancelled, failed elsewhere) or of every run (shutdown).
 */
export class RunningNodes {
  readonly #ctx: RunningNodesContext;
  readonly #byExecution = new Map<string, Set<RunningNode>>();

  constructor(ctx: RunningNodesContext) {
    this.#ctx = ctx;
  }

  /**
   * Registers a run of a node; it aborts itself with a timeout after `timeoutMs` (the
   * node's, its workflow's or its type's), else after the engine's default timeout.
   */
  start(executionId: string, nodeId: string, timeoutMs: number | undefined): RunningNode {
    const ms = timeoutMs ?? this.#ctx.defaultTimeoutMs;
    const run = new RunningNode(this.#byExecution, executionId, nodeId, ms);
    let set = this.#byExecution.get(executionId);
    if (!set) {
      set = new Set();
      this.#byExecution.set(executionId, set);
    }
    set.add(run);
    return run;
  }

  /**
   * Stops the execution's work in this process: forgets its handoffs (their jobs begin in
   * the store, which refuses them) and aborts its running nodes.
   */
  abortExecution(executionId: string, reason: 'cancelled' | 'failed'): void {
    this.#ctx.handoffs.drop(executionId);
    for (const run of this.#byExecution.get(executionId) ?? []) run.abort(reason);
  }

  /** The execution was paused in some process: its handoffs here begin in the store (which parks them). */
  pausedElsewhere(executionId: string): void {
    this.#ctx.handoffs.drop(executionId);
  }

  /** Aborts every run of this process (its job goes back to the queue). */
  abortAll(kind: 'shutdown'): void {
    for (const runs of this.#byExecution.values()) for (const run of runs) run.abort(kind);
  }
}

/** One node attempt's abort controller, timer and registration in {@link RunningNodes}. */
export class RunningNode {
  /** Aborted when the run is told to stop; the executor's `ctx.signal`. */
  readonly controller = new AbortController();
  /** Why the run was told to stop, once it was. */
  kind: AbortKind | undefined;
  /** Resolves with the reason when the run is told to stop. */
  readonly aborted: Promise<AbortKind>;
  readonly #registry: Map<string, Set<RunningNode>>;
  readonly #executionId: string;
  readonly #timer: NodeJS.Timeout | undefined;
  #resolveAborted!: (kind: AbortKind) => void;

  constructor(
    registry: Map<string, Set<RunningNode>>,
    executionId: string,
    nodeId: string,
    timeoutMs: number | undefined,
  ) {
    this.#registry = registry;
    this.#executionId = executionId;
    this.aborted = new Promise((r) => {
      this.#resolveAborted = r;
    });
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(
        () => this.abort('timeout', new NodeTimeoutError(nodeId, timeoutMs)),
        timeoutMs,
      );
    }
  }

  /** Tells the run to stop (once; later calls do nothing). */
  abort(kind: AbortKind, reason?: Error): void {
    if (this.kind) return;
    this.kind = kind;
    // The engine stopping a run is a framework outcome of its own (named AbortError, as
    // every abort); a node's own timeout passes its NodeTimeoutError.
    const why = reason ?? new NodeRunCancelledError(kind === 'timeout' ? 'cancelled' : kind);
    this.controller.abort(why);
    this.#resolveAborted(kind);
  }

  /** The run ended: stops its timer and unregisters it. */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    const set = this.#registry.get(this.#executionId);
    set?.delete(this);
    if (set && set.size === 0) this.#registry.delete(this.#executionId);
  }
}

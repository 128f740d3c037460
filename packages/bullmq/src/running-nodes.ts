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
   * `signalMade` is called with the run's abort signal when it is first asked for.
   */
  start(
    executionId: string,
    nodeId: string,
    timeoutMs: number | undefined,
    signalMade?: (signal: AbortSignal) => void,
  ): RunningNode {
    const ms = timeoutMs ?? this.#ctx.defaultTimeoutMs;
    const run = new RunningNode(this.#byExecution, executionId, nodeId, ms, signalMade);
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

/**
 * One node attempt's abort signal, timer and registration in {@link RunningNodes}. The
 * signal (an `AbortController`, costly to make) is made when first asked for — most
 * executors never read `ctx.signal` — already aborted if the run was told to stop before.
 */
export class RunningNode {
  /** Why the run was told to stop, once it was. */
  kind: AbortKind | undefined;
  /** What the signal is (or will be) aborted with, once the run was told to stop. */
  reason: Error | undefined;
  /** Resolves with the reason when the run is told to stop. */
  readonly aborted: Promise<AbortKind>;
  readonly #registry: Map<string, Set<RunningNode>>;
  readonly #executionId: string;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #signalMade: ((signal: AbortSignal) => void) | undefined;
  #controller: AbortController | undefined;
  #resolveAborted!: (kind: AbortKind) => void;

  constructor(
    registry: Map<string, Set<RunningNode>>,
    executionId: string,
    nodeId: string,
    timeoutMs: number | undefined,
    signalMade?: (signal: AbortSignal) => void,
  ) {
    this.#registry = registry;
    this.#executionId = executionId;
    this.#signalMade = signalMade;
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

  /** Aborted when the run is told to stop; the executor's `ctx.signal`. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      this.#signalMade?.(controller.signal);
      if (this.reason !== undefined) controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Tells the run to stop (once; later calls do nothing). */
  abort(kind: AbortKind, reason?: Error): void {
    if (this.kind) return;
    this.kind = kind;
    // The engine stopping a run is a framework outcome of its own (named AbortError, as
    // every abort); a node's own timeout passes its NodeTimeoutError.
    this.reason = reason ?? new NodeRunCancelledError(kind === 'timeout' ? 'cancelled' : kind);
    this.#controller?.abort(this.reason);
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

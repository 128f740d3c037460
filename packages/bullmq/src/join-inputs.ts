import type { WorkflowPlan } from '@spane/core';
import { dropExpired, setNewest } from './time-ordered.js';

/** A completed node's output as its children's input needs it. */
export interface HeldOutput {
  /** The output's JSON text as recorded (undefined: the node returned no data). */
  dataText: string | undefined;
}

/**
 * How long a completed node's output is held for a join (ms): a join whose last parent
 * completes later begins in the store, as before.
 */
export const JOIN_INPUT_TTL_MS = 5_000;

/** The most outputs held at once (past it, new ones are not held). */
export const MAX_JOIN_INPUTS = 20_000;

/**
 * The most parents a join may have to be started this way: each completion of a parent
 * looks its siblings up, so a wider join (rare, and begun once) begins in the store.
 */
export const MAX_JOIN_PARENTS = 32;

/** Whether `nodeId` is a join {@link JoinInputs} holds inputs for (2 to MAX_JOIN_PARENTS parents). */
export function heldJoin(plan: WorkflowPlan, nodeId: string): boolean {
  const parents = plan.parents.get(nodeId)?.length ?? 0;
  return parents > 1 && parents <= MAX_JOIN_PARENTS;
}

/** One held output, or a completion in flight (its output not recorded yet). */
interface Held extends HeldOutput {
  executionId: string;
  at: number;
  /** The completion is being recorded: its output is not held yet. */
  pending: boolean;
  /** Its join children not started yet (see JoinInputs.consume): forgotten at 0. */
  joinsLeft: number;
}

/** The key of a node of an execution. */
const keyOf = (executionId: string, nodeId: string) => `${executionId}\u0000${nodeId}`;

/**
 * Outputs of nodes that completed in this process, held a short while for their join
 * children (nodes of several parents, at most {@link MAX_JOIN_PARENTS}): when a join's
 * last parent completes here and the other parents' outputs are all held, the completion
 * can start the join in its own store write and this process can run it without a
 * `beginNodeRun` — the input the begin would have read is here. Only outputs the store
 * recorded, of a completion that fired every edge (no `nextNodes`), are held; they are
 * final, so they equal the stored ones. The map is in time order (time-ordered.ts).
 */
export class JoinInputs {
  /** By node key, oldest first (see time-ordered.ts). */
  readonly #held = new Map<string, Held>();

  /**
   * The completion of `nodeId` with `output` is about to be recorded: noted as in flight
   * when the node has a join child and the output could be held (returns whether it was;
   * the caller then calls {@link JoinInputs.settle}).
   */
  recording(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    output: { data: unknown; nextNodes?: string[] | undefined; dataText?: string | undefined },
    now = Date.now(),
  ): boolean {
    if (output.nextNodes !== undefined) return false;
    if (output.data !== undefined && output.dataText === undefined) return false;
    let joinsLeft = 0;
    for (const c of plan.children.get(nodeId) ?? []) if (heldJoin(plan, c)) joinsLeft += 1;
    if (joinsLeft === 0) return false;
    dropExpired(this.#held, now, JOIN_INPUT_TTL_MS);
    if (this.#held.size >= MAX_JOIN_INPUTS) return false;
    const held = { executionId, dataText: output.dataText, at: now, pending: true, joinsLeft };
    setNewest(this.#held, keyOf(executionId, nodeId), held);
    return true;
  }

  /**
   * The completion noted by {@link JoinInputs.recording} was recorded (its output is held
   * from now on) or not (forgotten: refused, or its write failed).
   */
  settle(executionId: string, nodeId: string, recorded: boolean, now = Date.now()): void {
    const key = keyOf(executionId, nodeId);
    const held = this.#held.get(key);
    if (held === undefined) return;
    if (!recorded) {
      this.#held.delete(key);
      return;
    }
    setNewest(this.#held, key, { ...held, pending: false, at: now });
  }

  /**
   * The outputs of `join`'s parents other than `completing`, by parent id — or undefined
   * unless every one of them is held (and fresh); with `inFlight`, a parent whose
   * completion is being recorded here counts as held (its output is not returned).
   */
  othersOf(
    plan: WorkflowPlan,
    executionId: string,
    join: string,
    completing: string,
    inFlight = false,
    now = Date.now(),
  ): Map<string, HeldOutput> | undefined {
    if (!heldJoin(plan, join)) return undefined;
    const parents = plan.parents.get(join) ?? [];
    const found = new Map<string, HeldOutput>();
    for (const parent of parents) {
      if (parent === completing) continue;
      const held = this.#held.get(keyOf(executionId, parent));
      if (held === undefined || now - held.at > JOIN_INPUT_TTL_MS) return undefined;
      if (held.pending && !inFlight) return undefined;
      found.set(parent, held);
    }
    return found;
  }

  /**
   * `join` was started (by its last parent's completion): its parents' outputs are not
   * held for it any longer — each is forgotten once every join child it was held for
   * started this way (else at its TTL).
   */
  consume(plan: WorkflowPlan, executionId: string, join: string): void {
    for (const parent of plan.parents.get(join) ?? []) {
      const key = keyOf(executionId, parent);
      const held = this.#held.get(key);
      if (held === undefined || held.pending) continue;
      held.joinsLeft -= 1;
      if (held.joinsLeft <= 0) this.#held.delete(key);
    }
  }

  /** Forgets the outputs held for an execution (cancelled, failed or paused). */
  drop(executionId: string): void {
    for (const [key, held] of this.#held) {
      if (held.executionId === executionId) this.#held.delete(key);
    }
  }

  /** Forgets every held output. */
  clear(): void {
    this.#held.clear();
  }

  /** How many outputs are held. */
  get size(): number {
    return this.#held.size;
  }
}

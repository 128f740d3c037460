import { NodeAlreadySettledError } from './errors.js';
import type { NodeStatus, SkipReason } from './execution-schema.js';
import type { ExecutionResult } from './executor.js';
import { isSettled } from './status-sets.js';
import { planNode, type WorkflowPlan } from './workflow-plan.js';

/**
 * The readiness rules of SPANE (SPEC §3) as pure functions. Every store and the engine
 * use these, so the rules live in exactly one place.
 *
 * Terms: a node is *settled* when it is `completed`, `skipped` or `failed`. A settled
 * parent *fires* the edge to a child when it completed and either returned no
 * `nextNodes` or listed the child, or when it failed with `continueOnFail`. A node whose
 * parents are all settled runs if at least one edge into it fired (and no parent failed
 * for good); otherwise it is skipped — `not-selected` if some parent completed without
 * selecting it, else `upstream-skipped` — and the skip cascades.
 */

/** What the readiness rules need to know of one node. */
export interface NodeSnapshot {
  /** The node's status. */
  status: NodeStatus;
  /** `nextNodes` of a completed node, when it returned them. */
  nextNodes?: readonly string[] | undefined;
  /** True for a node that failed with `continueOnFail`: it counts as completed. */
  continuedOnFail?: boolean | undefined;
}

/** Looks up a node's snapshot; `undefined` means `pending`. */
export type NodeLookup = (nodeId: string) => NodeSnapshot | undefined;

/** The final outcome of one node (after retries). */
export type NodeOutcome =
  | { type: 'completed'; data?: unknown; nextNodes?: readonly string[] | undefined }
  | { type: 'failed'; error: string; data?: unknown }
  | { type: 'skipped'; reason: SkipReason };

/** One node settled by a transition. */
export interface SettledNode {
  /** The node. */
  nodeId: string;
  /** How it settled. */
  status: 'completed' | 'failed' | 'skipped';
  /** Set on a `skipped` node. */
  skipReason?: SkipReason;
  /** Set on a `failed` node whose definition has `continueOnFail`. */
  continuedOnFail?: boolean;
}

/** What one event did to an execution. */
export interface TransitionResult {
  /** The event's node first, then every node skipped by the cascade, in cascade order. */
  settled: SettledNode[];
  /** Nodes whose parents are now all settled and that will run (mark them `queued`). */
  ready: string[];
  /** The nodes of `settled` that were skipped, with their reasons. */
  skipped: { nodeId: string; reason: SkipReason }[];
  /** Nodes still to settle successfully after this event (see {@link startExecution}). */
  remaining: number;
  /** Set when the execution reached a terminal status. */
  status?: 'completed' | 'failed';
}

/** True when `parent` (settled or not) has fired the edge to `child`. */
export function edgeFired(parent: NodeSnapshot | undefined, child: string): boolean {
  if (!parent) return false;
  if (parent.status === 'failed') return parent.continuedOnFail === true;
  if (parent.status !== 'completed') return false;
  return parent.nextNodes === undefined || parent.nextNodes.includes(child);
}

/** How an execution starts: which nodes are ready, which are skipped, how many remain. */
export interface StartTransition {
  /** Entry nodes, now ready to run. */
  ready: string[];
  /** Nodes skipped at start (`unreachable`), with reasons. */
  skipped: { nodeId: string; reason: SkipReason }[];
  /** Nodes not yet settled. */
  remaining: number;
}

/**
 * The first transition of every execution: entry nodes are ready, nodes unreachable from
 * them are skipped (`unreachable`), and `remaining` counts the reachable nodes.
 */
export function startExecution(plan: WorkflowPlan): StartTransition {
  return {
    ready: [...plan.entryNodes],
    skipped: plan.unreachable.map((nodeId) => ({ nodeId, reason: 'unreachable' as const })),
    remaining: plan.nodeIds.length - plan.unreachable.length,
  };
}

/**
 * Per node of one execution, how many of its parents have not settled for its readiness
 * yet (`completed`, `skipped` and `failed` with `continueOnFail` count as settled; a
 * failure without it does not: it fails the execution, and a DLQ retry may still complete
 * it). A store keeps one per execution and passes it to {@link applyNodeOutcome}, so a
 * join's parents are read only when the last of them settles, not on every parent's event.
 */
export class OpenParentCounts {
  readonly #plan: WorkflowPlan;
  readonly #open = new Map<string, number>();

  /** The counts of an execution just started: parents not skipped by {@link startExecution}. */
  constructor(plan: WorkflowPlan) {
    this.#plan = plan;
    const skipped = new Set(plan.unreachable);
    for (const id of plan.nodeIds) {
      let n = 0;
      for (const parent of plan.parents.get(id) ?? []) if (!skipped.has(parent)) n += 1;
      this.#open.set(id, n);
    }
  }

  /** Parents of `nodeId` not settled yet. */
  get(nodeId: string): number {
    return this.#open.get(nodeId) ?? 0;
  }

  /** Counts the nodes a transition settled; call it when the store records that transition. */
  record(result: Pick<TransitionResult, 'settled'>): void {
    for (const node of result.settled) {
      if (node.status === 'failed' && node.continuedOnFail !== true) continue;
      for (const child of this.#plan.children.get(node.nodeId) ?? []) {
        this.#open.set(child, this.get(child) - 1);
      }
    }
  }
}

/**
 * Applies one node's final outcome. Pure: reads node states only through `lookup` (which
 * must reflect the execution as it was before this event, atomically with the write of
 * the result) and returns what changes. A store calls it inside its atomic section and
 * persists `settled`, marks `ready` as queued and stores `remaining` and `status`.
 *
 * `remaining` is the value the previous transition (or {@link startExecution}) returned.
 * A failure without `continueOnFail` settles only its node and fails the execution; its
 * children stay pending (a DLQ retry can still complete it), and `remaining` is unchanged.
 *
 * `openParents`, when given, must be the execution's counts as they were before this
 * event (see {@link OpenParentCounts}); the result is the same with or without them.
 *
 * @throws NodeAlreadySettledError if `nodeId` is already settled in `lookup`.
 * @throws NodeNotFoundError if `nodeId` is not in the plan.
 */
export function applyNodeOutcome(
  plan: WorkflowPlan,
  lookup: NodeLookup,
  nodeId: string,
  outcome: NodeOutcome,
  remaining: number,
  openParents?: OpenParentCounts,
): TransitionResult {
  const definition = planNode(plan, nodeId);
  const current = lookup(nodeId);
  if (current && isSettled(current.status))
    throw new NodeAlreadySettledError(nodeId, current.status);

  const local = new Map<string, NodeSnapshot>();
  const get = (id: string): NodeSnapshot | undefined => local.get(id) ?? lookup(id);
  const settled: SettledNode[] = [];
  const skipped: { nodeId: string; reason: SkipReason }[] = [];
  const ready: string[] = [];

  let first: NodeSnapshot;
  if (outcome.type === 'completed') {
    first = { status: 'completed', nextNodes: outcome.nextNodes };
    settled.push({ nodeId, status: 'completed' });
  } else if (outcome.type === 'skipped') {
    first = { status: 'skipped' };
    settled.push({ nodeId, status: 'skipped', skipReason: outcome.reason });
    skipped.push({ nodeId, reason: outcome.reason });
  } else if (definition.continueOnFail) {
    first = { status: 'failed', continuedOnFail: true };
    settled.push({ nodeId, status: 'failed', continuedOnFail: true });
  } else {
    settled.push({ nodeId, status: 'failed' });
    return { settled, ready, skipped, remaining, status: 'failed' };
  }
  local.set(nodeId, first);
  let left = remaining - 1;

  // Breadth-first over the nodes settled by this event: decide each child once all its
  // parents are settled. A child is decided at most once: it leaves `pending` here.
  // With `openParents`: per child, its parents settled by this event so far — counted as
  // each one settles, so a child is decided exactly when `get` would show it ready.
  const closedHere = new Map<string, number>();
  const close = (id: string): void => {
    if (!openParents) return;
    for (const child of plan.children.get(id) ?? []) {
      closedHere.set(child, (closedHere.get(child) ?? 0) + 1);
    }
  };
  close(nodeId);
  const queue = [nodeId];
  for (let i = 0; i < queue.length; i++) {
    for (const child of plan.children.get(queue[i]!) ?? []) {
      if (openParents && openParents.get(child) > (closedHere.get(child) ?? 0)) continue;
      if (get(child) !== undefined && get(child)!.status !== 'pending') continue;
      let allSettled = true;
      let fired = false;
      let notSelected = false;
      for (const parent of plan.parents.get(child) ?? []) {
        const p = get(parent);
        if (!p || !isSettled(p.status) || (p.status === 'failed' && !p.continuedOnFail)) {
          allSettled = false;
          break;
        }
        if (edgeFired(p, child)) fired = true;
        else if (p.status === 'completed') notSelected = true;
      }
      if (!allSettled) continue;
      if (fired) {
        local.set(child, { status: 'queued' });
        ready.push(child);
      } else {
        const reason: SkipReason = notSelected ? 'not-selected' : 'upstream-skipped';
        local.set(child, { status: 'skipped' });
        settled.push({ nodeId: child, status: 'skipped', skipReason: reason });
        skipped.push({ nodeId: child, reason });
        left -= 1;
        close(child);
        queue.push(child);
      }
    }
  }
  const result: TransitionResult = { settled, ready, skipped, remaining: left };
  if (left === 0) result.status = 'completed';
  return result;
}

/** A parent's recorded result, as data passing needs it. */
export interface ParentResult extends NodeSnapshot {
  /** The parent's output. */
  data?: unknown;
  /** The parent's error, when it failed (with `continueOnFail`). */
  error?: string | undefined;
}

/** `inputData` and `previousResults` of one node run. */
export interface NodeInput {
  /** See `ExecutionContext.inputData`. */
  inputData: unknown;
  /** Results of the direct parents that produced one. */
  previousResults: Record<string, ExecutionResult>;
}

/**
 * The data-passing rule: an entry node (no parents) gets `initialData`; a node with one
 * parent gets that parent's `data`; a node with several parents gets
 * `{ [parentId]: data }` of the parents whose edge fired (a `continueOnFail` failure
 * fires, its data carrying the error). `previousResults` holds every direct parent that
 * produced a result (completed or failed), whether or not its edge fired.
 */
export function resolveNodeInput(
  plan: WorkflowPlan,
  nodeId: string,
  lookup: (nodeId: string) => ParentResult | undefined,
  initialData: unknown,
): NodeInput {
  planNode(plan, nodeId);
  const parents = plan.parents.get(nodeId) ?? [];
  const previousResults: Record<string, ExecutionResult> = {};
  if (parents.length === 0) return { inputData: initialData, previousResults };
  const merged: Record<string, unknown> = {};
  let single: unknown;
  for (const parent of parents) {
    const p = lookup(parent);
    if (!p || (p.status !== 'completed' && p.status !== 'failed')) continue;
    const result: ExecutionResult = { success: p.status === 'completed' };
    if (p.data !== undefined) result.data = p.data;
    if (p.error !== undefined) result.error = p.error;
    if (p.nextNodes !== undefined) result.nextNodes = [...p.nextNodes];
    previousResults[parent] = result;
    if (edgeFired(p, nodeId)) {
      const data = p.status === 'failed' ? (p.data ?? { error: p.error }) : p.data;
      merged[parent] = data;
      single = data;
    }
  }
  return { inputData: parents.length === 1 ? single : merged, previousResults };
}

import {
  type ExecutionState,
  type ExecutionStore,
  type NodeRegistry,
  type ParentResult,
  resolveNodeInput,
  type WorkflowPlan,
} from '@spane/core';
import { hasExecutor } from './built-in-nodes.js';
import type { CarryChoice } from './carried-runs.js';
import { type HeldOutput, heldJoin, JoinInputs } from './join-inputs.js';
import { nodeJobId } from './node-jobs.js';
import type { NodeQueues } from './node-queues.js';
import { NODE_QUEUE } from './redis-keys.js';
import { shareOut } from './riders.js';
import type { StartedRun } from './started-run.js';
import { dropExpired, setNewest } from './time-ordered.js';

/** What every run of one execution shares (from a begin, or the execution itself). */
type ExecutionFacts = Pick<StartedRun, 'tenantId' | 'depth' | 'parentExecutionId' | 'priority'>;

/** A node run of this process whose children may be handed to it (see Handoffs.handOffChildren). */
export interface ParentRun {
  /** The execution's facts, as its children's runs take them over. */
  facts: ExecutionFacts;
  /** Whether this run's job holds one of the node queue's slots (freed as it ends). */
  freesSlot?: boolean;
  /** The execution's initial data as JSON text, taken before the node's executor ran. */
  initialText: string | undefined;
}

/** A child run that its parent's completion started, waiting for its job in this process. */
interface Handoff {
  executionId: string;
  /** Builds the run when its job is taken (fresh objects, parsed then). */
  build: () => StartedRun;
  /** When it was handed off (epoch ms). */
  at: number;
  /** The abort epoch then: a handoff is taken only while no abort order can have been missed. */
  epoch: number;
}

/**
 * Nodes picked to start with a store write in flight: they hold worker slots until it
 * returns (`release`), and are handed off only if no abort order can have reached this
 * process meanwhile (`epoch`, `drops` as they were when picked).
 */
export interface StartTicket {
  /** The picked nodes. */
  readonly nodes: readonly string[];
  /** The abort epoch when they were picked. */
  readonly epoch: number;
  /** The count of dropped executions when they were picked. */
  readonly drops: number;
  /**
   * The picked nodes that the completing run's job carries, in order (see CarriedRuns):
   * they need no slot of their own (they run in the job's), and get no job.
   */
  readonly carried: readonly string[];
  /**
   * Picked nodes that the jobs of other picked nodes carry after their own (see Riders):
   * carrier → its riders, in order. They need no slot of their own, and get no job.
   */
  readonly riders: ReadonlyMap<string, readonly string[]>;
  /** Gives back the slots the picked nodes hold (once; later calls do nothing). */
  release(): void;
}

/** What the handoff cache needs from the engine. */
export interface HandoffContext {
  /** The node types this process runs. */
  registry: Pick<NodeRegistry, 'has'>;
  /** Which queue a node type's jobs go to: only the node queue's are handed off. */
  queues: Pick<NodeQueues, 'nameForType'>;
  /**
   * Abort orders from other processes: while they reach this one, a number that changes
   * when some may have been missed (the subscriber lost its connection); else undefined.
   */
  aborts: { readonly receivingEpoch: number | undefined };
  /** The store's abilities: nothing is handed off unless it starts nodes in its writes. */
  store: Pick<ExecutionStore, 'capabilities'>;
}

/** A ticket's riders when there are none (one shared empty map). */
const NO_RIDERS: ReadonlyMap<string, readonly string[]> = new Map();

/** A fresh object parsed from JSON text (undefined stays undefined). */
function fresh(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * A handoff whose job has not reached this process's workers by then (another process took
 * it) is forgotten; the job, wherever it runs, begins the run in the store as usual.
 */
const HANDOFF_TTL_MS = 5_000;

/**
 * Runs that a store write started (a parent's completion, an execution's creation) for this
 * process's own free workers, kept by job id until their jobs arrive: such a job skips
 * `beginNodeRun`. Counts this process's node-queue slots, busy jobs and picks in flight,
 * so that no more runs are started here than there are workers free to take them.
 */
export class Handoffs {
  readonly #ctx: HandoffContext;
  /** Runs started with their parent's completion, by job id, oldest first (see #keep). */
  readonly #handoffs = new Map<string, Handoff>();
  /**
   * Those of them that the completing run's job carries: they wait for no worker slot, so
   * they do not count against the free ones.
   */
  readonly #carried = new Map<string, Handoff>();
  /** This process's worker slots on the node queue (0 before startWorkers and once closing). */
  #slots = 0;
  /** Node-queue jobs being processed here. */
  #busy = 0;
  /** Slots held by picked nodes whose store write is in flight (see StartTicket). */
  #reserved = 0;
  /** Counts drop calls: a pick made before one is not handed off. */
  #drops = 0;
  /** Outputs of nodes completed here, held for their join children (see JoinInputs). */
  readonly #joins = new JoinInputs();

  constructor(ctx: HandoffContext) {
    this.#ctx = ctx;
  }

  /**
   * Sets this process's worker slots on the node queue: children are started with their
   * parent's completion only while slots are free. 0 stops that (and forgets handoffs).
   */
  setSlots(slots: number): void {
    this.#slots = slots;
    if (slots === 0) {
      this.#handoffs.clear();
      this.#carried.clear();
      this.#joins.clear();
    }
  }

  /**
   * Whether this process's workers take node-queue jobs (started, not closing) and abort
   * orders reach it (its subscriber is connected).
   */
  get open(): boolean {
    return this.#slots > 0 && this.#ctx.aborts.receivingEpoch !== undefined;
  }

  /** A node-queue job began processing here. */
  jobStarted(): void {
    this.#busy += 1;
  }

  /** A node-queue job left its worker here. */
  jobEnded(): void {
    this.#busy -= 1;
  }

  /**
   * Forgets the handoffs of an execution that was cancelled, failed or paused: their jobs
   * begin in the store, which tells them not to run. Called before the order is announced.
   */
  drop(executionId: string): void {
    this.#drops += 1;
    this.#joins.drop(executionId);
    for (const map of [this.#handoffs, this.#carried]) {
      for (const [jobId, h] of map) if (h.executionId === executionId) map.delete(jobId);
    }
  }

  /**
   * The run of a node that is starting, as its children's handoffs will need it — when a
   * child of this node could ever be handed to this process (one of a single parent, or a
   * join JoinInputs holds inputs for, and a store that starts nodes: see #startable); else
   * undefined. The initial data is copied now, before the node's executor could change it.
   */
  parentRun(
    plan: WorkflowPlan,
    nodeId: string,
    begun: StartedRun,
    freesSlot: boolean,
  ): ParentRun | undefined {
    if (this.#slots === 0 || plan.definition.maxConcurrency !== undefined) return undefined;
    if (!this.#ctx.store.capabilities.startsNodes) return undefined;
    const handable = (c: string) => plan.parents.get(c)?.length === 1 || heldJoin(plan, c);
    if (!(plan.children.get(nodeId) ?? []).some(handable)) return undefined;
    return {
      facts: begun,
      freesSlot,
      initialText: begun.initialData === undefined ? undefined : JSON.stringify(begun.initialData),
    };
  }

  /**
   * The children of a completing node that this process will run itself, started in the
   * completion's write (so their jobs skip `beginNodeRun`): a child whose only parent is
   * this node — or a join whose other parents' outputs this process holds (they completed
   * here: see JoinInputs), which this completion makes ready — of a type registered here
   * without limits (the node queue), in a workflow without `maxConcurrency`, while this
   * process hears abort orders (a handoff is taken only if none can have been missed since
   * it was made) — and no more of
   * them than this process has free worker slots (counting the one this job frees) — but
   * the first that `carry` accepts, which the job runs next in its own slot, and then
   * those of the rest that find no free slot and `carry.many` accepts: dealt in turn to
   * this job (as many as `carry.left()` allows) and to the jobs of the children handed to
   * free slots that `carry.many` accepts (riders, `carry.each` a job: see RiderIndex).
   */
  startable(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    parent: ParentRun,
    carry?: CarryChoice,
  ): StartTicket | undefined {
    if (this.#slots === 0) return undefined;
    const children = (plan.children.get(nodeId) ?? []).filter(
      (c) =>
        plan.parents.get(c)?.length === 1 ||
        this.#joins.othersOf(plan, executionId, c, nodeId, true) !== undefined,
    );
    const first = carry && children.find((c) => carry(c) && this.#eligible(plan, c));
    const others = first === undefined ? children : children.filter((c) => c !== first);
    // The carried child runs in the slot this job frees.
    const freed = first === undefined && parent.freesSlot === true ? 1 : 0;
    return this.#pick(others, plan, freed, first === undefined ? undefined : { first, carry });
  }

  /**
   * The entry nodes of a new execution of `plan` that this process may start with its
   * creation (`createExecution(… start)`), by the rules of {@link Handoffs.startable}
   * (none for a start with a delay: a started node would show `running` while it waits).
   */
  startableEntries(plan: WorkflowPlan, delayed: boolean): StartTicket | undefined {
    if (delayed || this.#slots === 0 || plan.definition.maxConcurrency !== undefined) {
      return undefined;
    }
    return this.#pick(plan.entryNodes, plan, 0);
  }

  /**
   * Of `candidates`, those of an eligible type, as many as this process has free slots
   * (counting `freed` that the caller gives back); they hold their slots until released.
   */
  #pick(
    candidates: readonly string[],
    plan: WorkflowPlan,
    freed: number,
    carrying?: { first: string; carry: CarryChoice | undefined },
  ): StartTicket | undefined {
    const epoch = this.#ctx.aborts.receivingEpoch;
    if ((candidates.length === 0 && carrying === undefined) || epoch === undefined) {
      return undefined;
    }
    if (!this.#ctx.store.capabilities.startsNodes) return undefined;
    const now = Date.now();
    dropExpired(this.#handoffs, now, HANDOFF_TTL_MS);
    dropExpired(this.#carried, now, HANDOFF_TTL_MS);
    let free = this.#slots - this.#busy + freed - this.#handoffs.size - this.#reserved;
    const nodes: string[] = [];
    const carry = carrying?.carry;
    // Fast children that find no free slot: for this job and the handed-off ones to carry.
    const overflow: string[] = [];
    for (const id of candidates) {
      if (!this.#eligible(plan, id)) continue;
      if (free > 0) {
        nodes.push(id);
        free -= 1;
        continue;
      }
      // No free slot left: the rest wait for a slot — or follow in a carrying job.
      if (carry === undefined) break;
      if (carry.many(id)) overflow.push(id);
    }
    const carried: string[] = carrying === undefined ? [] : [carrying.first];
    let riders: ReadonlyMap<string, readonly string[]> = NO_RIDERS;
    if (carry !== undefined && overflow.length > 0) {
      const carriers = nodes.filter((id) => carry.many(id));
      const shared = shareOut(overflow, carry.left() - carried.length, carriers, carry.each);
      carried.push(...shared.self);
      if (shared.riders.size > 0) riders = shared.riders;
    }
    // This job's budget counts them now (its other runs may be choosing meanwhile).
    if (carried.length > 0) carry?.took(carried.length);
    const held = nodes.length;
    nodes.unshift(...carried);
    for (const list of riders.values()) nodes.push(...list);
    if (nodes.length === 0) return undefined;
    this.#reserved += held;
    let holding = true;
    return {
      nodes,
      epoch,
      drops: this.#drops,
      carried,
      riders,
      release: () => {
        if (holding) this.#reserved -= held;
        holding = false;
      },
    };
  }

  /** A node of a type this process runs by its executor, from the node queue. */
  #eligible(plan: WorkflowPlan, nodeId: string): boolean {
    const type = plan.nodes.get(nodeId)?.type ?? '';
    if (!hasExecutor(this.#ctx.registry, type)) return false;
    return this.#ctx.queues.nameForType(type) === NODE_QUEUE;
  }

  /** Hands the entry nodes that `createExecution` started to this process's workers. */
  handOffEntries(
    plan: WorkflowPlan,
    execution: ExecutionState,
    started: readonly string[],
    ticket: StartTicket,
  ): void {
    const initialText =
      execution.initialData === undefined ? undefined : JSON.stringify(execution.initialData);
    this.#keep(plan, execution.executionId, started, ticket, () => undefined, {
      facts: execution,
      initialText,
    });
  }

  /**
   * A node's completion with `output` (and `dataText`, its JSON text) is about to be
   * recorded: when the node has a join child, its output is held for it a while (see
   * JoinInputs) once the returned function is told it was recorded (it must be told either
   * way); undefined when nothing is held.
   */
  recording(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    output: { data: unknown; nextNodes?: string[] | undefined; dataText?: string | undefined },
  ): ((recorded: boolean) => void) | undefined {
    if (this.#slots === 0 || !this.#joins.recording(plan, executionId, nodeId, output)) {
      return undefined;
    }
    return (recorded) => this.#joins.settle(executionId, nodeId, recorded);
  }

  /**
   * Hands the children that a node's completion started to this process's workers: the
   * node's output (`dataText`, its JSON text) is the one parent's result of each — with a
   * join's, the held outputs of its other parents (a join whose other parents' outputs are
   * no longer held gets no handoff: its job begins in the store, under the started token).
   */
  handOffChildren(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    started: readonly string[],
    ticket: StartTicket,
    output: { nextNodes?: string[] | undefined; dataText?: string | undefined },
    parent: ParentRun,
  ): void {
    const { nextNodes, dataText } = output;
    // The other parents' outputs of the started joins (a join missing any is not handed).
    const others = new Map<string, HeldOutput>();
    const handed = started.filter((child) => {
      if (plan.parents.get(child)?.length === 1) return true;
      const held = this.#joins.othersOf(plan, executionId, child, nodeId);
      for (const [parent, output] of held ?? []) others.set(parent, output);
      // Started: its parents' outputs are no longer held for it.
      this.#joins.consume(plan, executionId, child);
      return held !== undefined;
    });
    const lookup = (id: string): ParentResult | undefined => {
      if (id === nodeId) return { status: 'completed', nextNodes, data: fresh(dataText) };
      const held = others.get(id);
      return held && { status: 'completed', data: fresh(held.dataText) };
    };
    this.#keep(plan, executionId, handed, ticket, lookup, parent);
  }

  /**
   * Keeps what the started nodes' jobs need to run here without a store read: the input a
   * `beginNodeRun` would return (by `lookup`; built when taken, fresh objects for each) and
   * the execution's facts from `parent` — unless an abort order may have reached this process
   * since the nodes were picked (any drop call, a lost subscriber connection): then
   * their jobs begin in the store, which refuses or parks them. Releases the ticket.
   */
  #keep(
    plan: WorkflowPlan,
    executionId: string,
    started: readonly string[],
    ticket: StartTicket,
    lookup: (nodeId: string) => ParentResult | undefined,
    parent: ParentRun,
  ): void {
    ticket.release();
    const epoch = this.#ctx.aborts.receivingEpoch;
    if (epoch !== ticket.epoch || this.#drops !== ticket.drops) return;
    const carried = new Set(ticket.carried);
    for (const list of ticket.riders.values()) for (const id of list) carried.add(id);
    const { facts, initialText } = parent;
    const at = Date.now();
    for (const child of started) {
      const build = (): StartedRun => {
        const initialData = fresh(initialText);
        const input = resolveNodeInput(plan, child, lookup, initialData);
        const run: StartedRun = {
          started: true,
          attempt: 1,
          inputData: input.inputData,
          previousResults: input.previousResults,
          initialData,
          tenantId: facts.tenantId,
          depth: facts.depth,
        };
        if (facts.parentExecutionId !== undefined) {
          run.parentExecutionId = facts.parentExecutionId;
        }
        if (facts.priority !== undefined) run.priority = facts.priority;
        return run;
      };
      const map = carried.has(child) ? this.#carried : this.#handoffs;
      const jobId = nodeJobId(executionId, child);
      // In one map only, as its newest entry (see time-ordered.ts).
      (map === this.#carried ? this.#handoffs : this.#carried).delete(jobId);
      setNewest(map, jobId, { executionId, build, at, epoch });
    }
  }

  /** The run a parent's completion started for this job's first attempt, if it was handed here. */
  take(jobId: string | undefined, attempt: number): StartedRun | undefined {
    if (attempt !== 1 || jobId === undefined) return undefined;
    const handoff = this.#handoffs.get(jobId) ?? this.#carried.get(jobId);
    if (!handoff) return undefined;
    this.#handoffs.delete(jobId);
    this.#carried.delete(jobId);
    // An abort order for its execution may have been missed, or it waited too long: the
    // store decides.
    if (handoff.epoch !== this.#ctx.aborts.receivingEpoch) return undefined;
    if (Date.now() - handoff.at > HANDOFF_TTL_MS) return undefined;
    return handoff.build();
  }
}

/**
 * Property tests of the readiness rules (SPEC §3) on random DAGs with random outcomes and
 * random interleavings. A small simulated store keeps node states in a Map, starts with
 * `startExecution` and feeds one ready node at a time to `applyNodeOutcome`. Each property
 * is an invariant checked on the recorded run, comparing every decision the engine made
 * with the states of the node's parents at that moment; nothing here recomputes the
 * engine's expected output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyNodeOutcome,
  compileWorkflow,
  NodeAlreadySettledError,
  type NodeDefinition,
  type NodeInput,
  type NodeOutcome,
  type ParentResult,
  resolveNodeInput,
  type StartTransition,
  startExecution,
  type TransitionResult,
  validateWorkflow,
  type WorkflowDefinition,
  type WorkflowPlan,
} from '../src/index.js';
import { OpenParentCounts } from '../src/store.js';

const NUM_RUNS = Math.max(500, Number(process.env.SPANE_FC_RUNS ?? 0) || 0);
const MAX_NODES = 60;
const INITIAL_DATA = Object.freeze({ initial: true });

// ---------------------------------------------------------------------------------------
// Random scenarios
// ---------------------------------------------------------------------------------------

/** What one node does when it runs. `hard` is a failure without continueOnFail. */
type Plan =
  | { kind: 'complete'; nextNodes?: string[]; data?: unknown }
  | { kind: 'cof-fail'; data?: unknown }
  | { kind: 'hard-fail' };

interface Scenario {
  def: WorkflowDefinition;
  /** Parents of every node as the generator chose them (the ground-truth edge set). */
  parents: Map<string, string[]>;
  children: Map<string, string[]>;
  behaviour: Map<string, Plan>;
  /** Random choices of the interleaving: the k-th event runs ready node `picks[k] % |ready|`. */
  picks: number[];
  /** Node ids of the join gadget, when one was added. */
  gadget?: { join: string; selected: string; unselected: string };
}

interface ScenarioOptions {
  allowEntryNodeId: boolean;
  allowHardFail: boolean;
  joinGadget: boolean;
}

const id = (i: number): string => `n${i}`;

function scenarioArb(opts: ScenarioOptions): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: MAX_NODES }).chain((n) => {
    const pairs = (n * (n - 1)) / 2;
    return fc
      .record({
        density: fc.constantFrom(0.03, 0.08, 0.2, 0.5),
        edgeRolls: fc.array(fc.nat(999), { minLength: pairs, maxLength: pairs }),
        /** 0: edge in the child's inputs, 1: in the parent's outputs, 2: both. */
        edgeModes: fc.array(fc.nat(2), { minLength: pairs, maxLength: pairs }),
        hardFailPct: opts.allowHardFail ? fc.constantFrom(0, 0, 1, 3, 10) : fc.constant(0),
        rolls: fc.array(fc.nat(99), { minLength: n, maxLength: n }),
        selectModes: fc.array(fc.nat(9), { minLength: n, maxLength: n }),
        selectRolls: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), {
          minLength: n,
          maxLength: n,
        }),
        emptyLists: fc.array(fc.nat(3), { minLength: n, maxLength: n }),
        order: fc.array(fc.nat(), { minLength: n, maxLength: n }),
        entry: opts.allowEntryNodeId
          ? fc.option(fc.nat(), { freq: 2 })
          : fc.constant<number | null>(null),
        picks: fc.array(fc.nat(), { minLength: n + 5, maxLength: n + 5 }),
        gadgetCofFail: fc.boolean(),
      })
      .map((r) => buildScenario(n, r, opts));
  });
}

function buildScenario(
  n: number,
  r: {
    density: number;
    edgeRolls: number[];
    edgeModes: number[];
    hardFailPct: number;
    rolls: number[];
    selectModes: number[];
    selectRolls: boolean[][];
    emptyLists: number[];
    order: number[];
    entry: number | null;
    picks: number[];
    gadgetCofFail: boolean;
  },
  opts: ScenarioOptions,
): Scenario {
  // 1. Edges: node i gets a random subset of earlier nodes as parents (so the graph is a DAG).
  const edges: { p: number; c: number; mode: number }[] = [];
  let k = 0;
  for (let c = 0; c < n; c++) {
    for (let p = 0; p < c; p++, k++) {
      // (Rolls shrink towards 0, so counterexamples shrink towards fewer edges.)
      if (r.edgeRolls[k]! >= (1 - r.density) * 1000) edges.push({ p, c, mode: r.edgeModes[k]! });
    }
  }

  // 2. Express each edge through inputs, outputs or both. A node declares a list when one
  //    of its edges is expressed on its side; where both ends declare a list they must
  //    agree, so such an edge goes into both.
  const declaresInputs = new Set(edges.filter((e) => e.mode !== 1).map((e) => e.c));
  const declaresOutputs = new Set(edges.filter((e) => e.mode !== 0).map((e) => e.p));
  const inputs = new Map<number, string[]>();
  const outputs = new Map<number, string[]>();
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    parents.set(id(i), []);
    children.set(id(i), []);
    if (declaresInputs.has(i)) inputs.set(i, []);
    if (declaresOutputs.has(i)) outputs.set(i, []);
  }
  for (const e of edges) {
    const both = declaresInputs.has(e.c) && declaresOutputs.has(e.p);
    if (e.mode !== 1 || both) inputs.get(e.c)!.push(id(e.p));
    if (e.mode !== 0 || both) outputs.get(e.p)!.push(id(e.c));
    parents.get(id(e.c))!.push(id(e.p));
    children.get(id(e.p))!.push(id(e.c));
  }

  // 3. Behaviour of each node.
  const behaviour = new Map<string, Plan>();
  const cof = new Set<string>();
  for (let i = 0; i < n; i++) {
    const roll = r.rolls[i]!;
    const nodeId = id(i);
    const data = roll % 2 === 0 ? { from: nodeId } : undefined;
    if (roll < r.hardFailPct) {
      behaviour.set(nodeId, { kind: 'hard-fail' });
    } else if (roll < r.hardFailPct + 15) {
      cof.add(nodeId);
      behaviour.set(nodeId, { kind: 'cof-fail', data });
    } else {
      if (roll % 7 === 0) cof.add(nodeId); // continueOnFail on a node that then completes
      const mode = r.selectModes[i]!;
      const plan: Plan = { kind: 'complete', data };
      if (mode === 5) plan.nextNodes = [];
      else if (mode >= 6) {
        plan.nextNodes = children.get(nodeId)!.filter((_, j) => r.selectRolls[i]![j]);
        if (mode === 9) plan.nextNodes.push('not-a-child');
      }
      behaviour.set(nodeId, plan);
    }
  }

  // 4. Definitions, in a random definition order.
  const nodes: NodeDefinition[] = [];
  for (let i = 0; i < n; i++) {
    const def: NodeDefinition = { id: id(i), type: 'noop' };
    const ins = inputs.get(i);
    const outs = outputs.get(i);
    if (ins) def.inputs = ins;
    else if (parents.get(id(i))!.length === 0 && r.emptyLists[i] === 0) def.inputs = [];
    if (outs) def.outputs = outs;
    else if (children.get(id(i))!.length === 0 && r.emptyLists[i] === 1) def.outputs = [];
    if (cof.has(id(i))) def.continueOnFail = true;
    nodes.push(def);
  }

  let gadget: Scenario['gadget'];
  if (opts.joinGadget) {
    // S selects X only, so Y is skipped; J joins X and Y and must run once.
    const g = { s: 'gS', x: 'gX', y: 'gY', j: 'gJ' };
    nodes.push(
      { id: g.s, type: 'noop', outputs: [g.x, g.y] },
      { id: g.x, type: 'noop', ...(r.gadgetCofFail ? { continueOnFail: true } : {}) },
      { id: g.y, type: 'noop', outputs: [g.j] },
      { id: g.j, type: 'noop', inputs: [g.x, g.y] },
    );
    parents.set(g.s, []).set(g.x, [g.s]).set(g.y, [g.s]).set(g.j, [g.x, g.y]);
    children.set(g.s, [g.x, g.y]).set(g.x, [g.j]).set(g.y, [g.j]).set(g.j, []);
    behaviour.set(g.s, { kind: 'complete', nextNodes: [g.x], data: 's' });
    behaviour.set(g.x, r.gadgetCofFail ? { kind: 'cof-fail' } : { kind: 'complete', data: 'x' });
    behaviour.set(g.y, { kind: 'complete' });
    behaviour.set(g.j, { kind: 'complete' });
    gadget = { join: g.j, selected: g.x, unselected: g.y };
  }

  const orderKey = (i: number): number => r.order[i] ?? i;
  const shuffled = nodes
    .map((def, i) => ({ def, i }))
    .sort((a, b) => orderKey(a.i) - orderKey(b.i) || a.i - b.i)
    .map((x) => x.def);

  const def: WorkflowDefinition = { id: 'random', name: 'random DAG', nodes: shuffled };
  if (r.entry !== null) {
    const roots = shuffled.filter((d) => parents.get(d.id)!.length === 0);
    def.entryNodeId = roots[r.entry % roots.length]!.id;
  }
  return { def, parents, children, behaviour, picks: r.picks, ...(gadget ? { gadget } : {}) };
}

// ---------------------------------------------------------------------------------------
// The simulated store and the recorded run
// ---------------------------------------------------------------------------------------

type State = Map<string, ParentResult>;

interface Step {
  nodeId: string;
  outcome: NodeOutcome;
  remainingBefore: number;
  /** Node states just before the event (the event's node is `running`). */
  before: State;
  result: TransitionResult;
  /** Node states after the simulated store recorded the result. */
  after: State;
  /** What `resolveNodeInput` gave the node when it ran. */
  input: NodeInput;
}

interface Run {
  scenario: Scenario;
  plan: WorkflowPlan;
  start: StartTransition;
  /** States after the start transition. */
  initial: State;
  steps: Step[];
  /** Ready nodes left when the run stopped. */
  leftReady: string[];
  /** Set when applyNodeOutcome threw. */
  thrown?: unknown;
  /** Steps whose result differed when given exact open-parent counts. */
  countMismatches: string[];
}

function outcomeOf(plan: Plan | undefined, nodeId: string): NodeOutcome {
  if (!plan || plan.kind === 'complete')
    return { type: 'completed', data: plan?.data, nextNodes: plan?.nextNodes };
  if (plan.kind === 'cof-fail') return { type: 'failed', error: `boom:${nodeId}`, data: plan.data };
  return { type: 'failed', error: `fatal:${nodeId}` };
}

function simulate(scenario: Scenario): Run {
  const plan = compileWorkflow(scenario.def);
  const state: State = new Map();
  const lookup = (nodeId: string): ParentResult | undefined => state.get(nodeId);
  const start = startExecution(plan);
  for (const s of start.skipped) state.set(s.nodeId, { status: 'skipped' });
  const ready = [...start.ready];
  for (const r of ready) state.set(r, { status: 'queued' });
  let remaining = start.remaining;
  const run: Run = {
    scenario,
    plan,
    start,
    initial: new Map(state),
    steps: [],
    leftReady: ready,
    countMismatches: [],
  };
  // Open-parent counters as a store keeps them: each step also runs with them as a hint.
  const open = new OpenParentCounts(plan);

  for (let k = 0; ready.length > 0; k++) {
    const nodeId = ready.splice(scenario.picks[k % scenario.picks.length]! % ready.length, 1)[0]!;
    state.set(nodeId, { status: 'running' });
    const input = resolveNodeInput(plan, nodeId, lookup, INITIAL_DATA);
    const outcome = outcomeOf(scenario.behaviour.get(nodeId), nodeId);
    const before = new Map(state);
    let result: TransitionResult;
    try {
      result = applyNodeOutcome(plan, lookup, nodeId, outcome, remaining);
    } catch (e) {
      run.thrown = e;
      return run;
    }
    const counted = applyNodeOutcome(plan, lookup, nodeId, outcome, remaining, open);
    if (JSON.stringify(counted) !== JSON.stringify(result)) {
      run.countMismatches.push(`${nodeId}: ${JSON.stringify(counted)} ≠ ${JSON.stringify(result)}`);
    }
    open.record(result);
    // Record the result as a store would.
    for (const s of result.settled) {
      if (s.status === 'skipped') state.set(s.nodeId, { status: 'skipped' });
      else if (s.status === 'completed' && outcome.type === 'completed')
        state.set(s.nodeId, {
          status: 'completed',
          data: outcome.data,
          nextNodes: outcome.nextNodes,
        });
      else if (s.status === 'failed' && outcome.type === 'failed')
        state.set(s.nodeId, {
          status: 'failed',
          error: outcome.error,
          data: outcome.data,
          continuedOnFail: s.continuedOnFail === true,
        });
    }
    for (const r of result.ready) {
      state.set(r, { status: 'queued' });
      ready.push(r);
    }
    remaining = result.remaining;
    run.steps.push({
      nodeId,
      outcome,
      remainingBefore: run.steps.at(-1)?.result.remaining ?? start.remaining,
      before,
      result,
      after: new Map(state),
      input,
    });
    if (result.status !== undefined) break;
  }
  return run;
}

// ---------------------------------------------------------------------------------------
// Spec vocabulary, for stating the invariants
// ---------------------------------------------------------------------------------------

const statusIn = (s: State, nodeId: string): string => s.get(nodeId)?.status ?? 'pending';

/** Settled for readiness: completed, skipped, or failed with continueOnFail. */
function settledOk(p: ParentResult | undefined): boolean {
  return (
    p?.status === 'completed' ||
    p?.status === 'skipped' ||
    (p?.status === 'failed' && p.continuedOnFail === true)
  );
}

/** SPEC §3: the edge parent → child fired. */
function fired(p: ParentResult | undefined, child: string): boolean {
  if (p?.status === 'completed') return p.nextNodes === undefined || p.nextNodes.includes(child);
  return p?.status === 'failed' && p.continuedOnFail === true;
}

const isHardFail = (step: Step): boolean => step.result.status === 'failed';

/** Every node the run decided (readied or skipped), in order, with the step it happened in. */
function decisions(run: Run): { nodeId: string; kind: 'ready' | 'skip'; step: number }[] {
  const out: { nodeId: string; kind: 'ready' | 'skip'; step: number }[] = [];
  run.steps.forEach((s, step) => {
    for (const x of s.result.settled.slice(1)) out.push({ nodeId: x.nodeId, kind: 'skip', step });
    for (const r of s.result.ready) out.push({ nodeId: r, kind: 'ready', step });
  });
  return out;
}

function assertNoThrow(run: Run): void {
  if (run.thrown !== undefined) throw run.thrown;
}

const noHardFail: ScenarioOptions = {
  allowEntryNodeId: true,
  allowHardFail: false,
  joinGadget: false,
};
const anyRun: ScenarioOptions = { allowEntryNodeId: true, allowHardFail: true, joinGadget: false };

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

describe('transition rules on random DAGs (property)', { timeout: 120_000 }, () => {
  it('the generator builds valid workflows whose edges are the union of inputs and outputs', () => {
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const v = validateWorkflow(sc.def);
        expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
        const plan = compileWorkflow(sc.def);
        for (const [nodeId, ps] of sc.parents) {
          expect([...plan.parents.get(nodeId)!].sort()).toEqual([...ps].sort());
          expect([...plan.children.get(nodeId)!].sort()).toEqual(
            [...sc.children.get(nodeId)!].sort(),
          );
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(1) every node settles exactly once; a second outcome throws NodeAlreadySettledError', () => {
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        const count = new Map<string, number>();
        const bump = (n: string): void => {
          count.set(n, (count.get(n) ?? 0) + 1);
        };
        for (const s of run.start.skipped) bump(s.nodeId);
        const readied = new Set(run.start.ready);
        for (const step of run.steps) {
          const ids = [...step.result.settled.map((s) => s.nodeId), ...step.result.ready];
          // Nothing appears twice within one event ...
          expect(new Set(ids).size).toBe(ids.length);
          // ... the event's node comes first and is the only settled node that was queued ...
          expect(step.result.settled[0]!.nodeId).toBe(step.nodeId);
          expect(readied.has(step.nodeId)).toBe(true);
          for (const x of ids.slice(1)) {
            // ... and every other node it settles or readies was still pending.
            expect(statusIn(step.before, x)).toBe('pending');
            expect(readied.has(x)).toBe(false);
          }
          for (const s of step.result.settled) bump(s.nodeId);
          for (const r of step.result.ready) readied.add(r);
        }
        for (const c of count.values()) expect(c).toBe(1);
        const failed = run.steps.some(isHardFail);
        if (!failed) {
          expect(count.size).toBe(run.plan.nodeIds.length);
          // Every node that was readied ran and settled.
          for (const r of readied) expect(count.get(r)).toBe(1);
        }
        // A second outcome for any settled node is refused.
        const lastState = run.steps.at(-1)?.after ?? run.initial;
        for (const nodeId of count.keys()) {
          expect(() =>
            applyNodeOutcome(
              run.plan,
              (x) => lastState.get(x),
              nodeId,
              { type: 'completed' },
              run.steps.at(-1)?.result.remaining ?? run.start.remaining,
            ),
          ).toThrow(NodeAlreadySettledError);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(2) no node becomes ready before all its parents are settled', () => {
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        // Start: entry nodes are entryNodeId or every root, and none has a parent.
        const roots = run.plan.nodeIds.filter((n) => sc.parents.get(n)!.length === 0);
        expect(run.start.ready).toEqual(
          sc.def.entryNodeId === undefined ? roots : [sc.def.entryNodeId],
        );
        for (const step of run.steps) {
          for (const r of step.result.ready) {
            for (const p of sc.parents.get(r)!) {
              expect(settledOk(step.after.get(p)), `${r} readied before parent ${p}`).toBe(true);
            }
          }
          // A skip decided in the cascade comes after all its parents settled: earlier in
          // this event's `settled` list, or before the event.
          const settledAt = new Map(step.result.settled.map((s, i) => [s.nodeId, i]));
          step.result.settled.forEach((s, i) => {
            if (i === 0) return;
            for (const p of sc.parents.get(s.nodeId)!) {
              const at = settledAt.get(p);
              const ok = at !== undefined ? at < i : settledOk(step.before.get(p));
              expect(ok, `${s.nodeId} skipped before parent ${p} settled`).toBe(true);
            }
          });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(3) skips are closed under the cascade rule, with the right reasons', () => {
    const seen = { 'not-selected': 0, 'upstream-skipped': 0, unreachable: 0 };
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        // Start: exactly the nodes not reachable from the entry nodes are skipped.
        const reachable = new Set(run.start.ready);
        const queue = [...run.start.ready];
        while (queue.length > 0) {
          for (const c of sc.children.get(queue.shift()!)!) {
            if (reachable.has(c)) continue;
            reachable.add(c);
            queue.push(c);
          }
        }
        expect(run.start.skipped.map((s) => s.nodeId).sort()).toEqual(
          run.plan.nodeIds.filter((n) => !reachable.has(n)).sort(),
        );
        for (const s of run.start.skipped) {
          expect(s.reason).toBe('unreachable');
          seen.unreachable++;
        }
        for (const step of run.steps) {
          // `skipped` lists exactly the skips of `settled`.
          expect(step.result.skipped).toEqual(
            step.result.settled
              .filter((s) => s.status === 'skipped')
              .map((s) => ({ nodeId: s.nodeId, reason: s.skipReason })),
          );
          // Every node skipped by the cascade: no parent's edge fired; the reason is
          // 'not-selected' iff some parent completed without selecting it.
          for (const s of step.result.skipped) {
            if (s.nodeId === step.nodeId) continue;
            const ps = sc.parents.get(s.nodeId)!.map((p) => step.after.get(p));
            expect(ps.length).toBeGreaterThan(0);
            expect(ps.some((p) => fired(p, s.nodeId))).toBe(false);
            const notSelected = ps.some((p) => p?.status === 'completed');
            expect(s.reason).toBe(notSelected ? 'not-selected' : 'upstream-skipped');
            seen[s.reason]++;
          }
          if (isHardFail(step)) continue;
          // Closure: after the event no pending node has all parents settled (it would have
          // been decided: skipped if no edge fired, readied otherwise).
          for (const nodeId of run.plan.nodeIds) {
            if (statusIn(step.after, nodeId) !== 'pending') continue;
            const ps = sc.parents.get(nodeId)!;
            expect(
              ps.every((p) => settledOk(step.after.get(p))),
              `${nodeId} left pending with all parents settled`,
            ).toBe(false);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect(seen['not-selected']).toBeGreaterThan(0);
    expect(seen['upstream-skipped']).toBeGreaterThan(0);
    expect(seen.unreachable).toBeGreaterThan(0);
  });

  it('(4) a node with a fired edge runs, once, even next to skipped parents (joins)', () => {
    let joinsWithSkippedParent = 0;
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        const readyCount = new Map<string, number>();
        for (const d of decisions(run)) {
          const after = run.steps[d.step]!.after;
          const ps = sc.parents.get(d.nodeId)!.map((p) => after.get(p));
          const anyFired = ps.some((p) => fired(p, d.nodeId));
          expect(d.kind, `${d.nodeId}: fired=${anyFired}`).toBe(anyFired ? 'ready' : 'skip');
          if (d.kind === 'ready') {
            readyCount.set(d.nodeId, (readyCount.get(d.nodeId) ?? 0) + 1);
            if (ps.some((p) => p?.status === 'skipped')) joinsWithSkippedParent++;
          }
        }
        for (const c of readyCount.values()) expect(c).toBe(1);
      }),
      { numRuns: NUM_RUNS },
    );
    expect(joinsWithSkippedParent).toBeGreaterThan(0);
  });

  it('(4b) the join gadget S -> {X, Y}, X -> J, Y -> J with S selecting X runs J once', () => {
    fc.assert(
      fc.property(
        scenarioArb({ allowEntryNodeId: false, allowHardFail: true, joinGadget: true }),
        (sc) => {
          const run = simulate(sc);
          assertNoThrow(run);
          const g = sc.gadget!;
          const decided = decisions(run).filter((d) => d.nodeId === g.join);
          const failedEarly = run.steps.some(isHardFail);
          const yStep = decisions(run).find((d) => d.nodeId === g.unselected);
          if (yStep) expect(yStep.kind).toBe('skip');
          if (!failedEarly) {
            expect(decided).toEqual([{ nodeId: g.join, kind: 'ready', step: expect.any(Number) }]);
            expect(run.steps.filter((s) => s.nodeId === g.join)).toHaveLength(1);
            const joinStep = run.steps.find((s) => s.nodeId === g.join)!;
            expect(Object.keys(joinStep.input.inputData as object)).toEqual([g.selected]);
          } else {
            expect(decided.length).toBeLessThanOrEqual(1);
            if (decided[0]) expect(decided[0].kind).toBe('ready');
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("(5) terminal status: 'failed' at the first hard failure, else 'completed' when all settled", () => {
    const seen = { completed: 0, failed: 0 };
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        const n = run.plan.nodeIds.length;
        expect(run.start.remaining).toBe(n - run.start.skipped.length);
        expect(run.steps.length).toBeGreaterThan(0);
        run.steps.forEach((step, i) => {
          const last = i === run.steps.length - 1;
          // A failure is hard when the node's definition lacks continueOnFail.
          const hard =
            step.outcome.type === 'failed' &&
            run.plan.nodes.get(step.nodeId)!.continueOnFail !== true;
          if (!hard) expect(step.result.status).not.toBe('failed');
          if (hard) {
            expect(step.result).toEqual({
              settled: [{ nodeId: step.nodeId, status: 'failed' }],
              ready: [],
              skipped: [],
              remaining: step.remainingBefore,
              status: 'failed',
            });
            // The simulator stops here: the first hard failure ends the run.
            expect(last).toBe(true);
            return;
          }
          // remaining = nodes not yet completed / skipped / continueOnFail-failed.
          const open = run.plan.nodeIds.filter((x) => !settledOk(step.after.get(x))).length;
          expect(step.result.remaining).toBe(open);
          expect(step.result.remaining).toBe(step.remainingBefore - step.result.settled.length);
          // 'completed' exactly when remaining reaches 0, and only then.
          expect(step.result.status).toBe(open === 0 ? 'completed' : undefined);
          if (open === 0) expect(last).toBe(true);
        });
        const final = run.steps.at(-1)!.result;
        if (final.status === 'failed') seen.failed++;
        else {
          // No hard failure: the run must end completed (no deadlock), all nodes settled.
          expect(final.status).toBe('completed');
          expect(final.remaining).toBe(0);
          expect(run.leftReady).toEqual([]);
          const after = run.steps.at(-1)!.after;
          for (const x of run.plan.nodeIds) expect(settledOk(after.get(x))).toBe(true);
          seen.completed++;
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect(seen.completed).toBeGreaterThan(0);
    expect(seen.failed).toBeGreaterThan(0);
  });

  it('(5b) without hard failures every run completes', () => {
    fc.assert(
      fc.property(scenarioArb(noHardFail), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        expect(run.steps.at(-1)!.result.status).toBe('completed');
        expect(run.steps.filter((s) => s.result.status !== undefined)).toHaveLength(1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(6) data passing: entry gets initialData, one parent its data, several a map of fired parents', () => {
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        for (const step of run.steps) {
          const ps = sc.parents.get(step.nodeId)!;
          const { inputData, previousResults } = step.input;
          const dataOf = (p: string): unknown => {
            const s = step.before.get(p)!;
            return s.status === 'failed' ? (s.data ?? { error: s.error }) : s.data;
          };
          if (ps.length === 0) {
            expect(inputData).toBe(INITIAL_DATA);
            expect(previousResults).toEqual({});
            continue;
          }
          const withResult = ps.filter((p) =>
            ['completed', 'failed'].includes(statusIn(step.before, p)),
          );
          expect(Object.keys(previousResults).sort()).toEqual([...withResult].sort());
          for (const p of withResult) {
            const s = step.before.get(p)!;
            expect(previousResults[p]!.success).toBe(s.status === 'completed');
            expect(previousResults[p]!.data).toEqual(s.data);
            expect(previousResults[p]!.error).toEqual(s.error);
          }
          const firedParents = ps.filter((p) => fired(step.before.get(p), step.nodeId));
          if (ps.length === 1) {
            expect(firedParents).toEqual(ps);
            expect(inputData).toEqual(dataOf(ps[0]!));
          } else {
            expect(Object.keys(inputData as object).sort()).toEqual([...firedParents].sort());
            for (const p of firedParents)
              expect((inputData as Record<string, unknown>)[p]).toEqual(dataOf(p));
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(7) exact open-parent counts (OpenParentCounts) change no transition', () => {
    let joinsSeen = 0;
    fc.assert(
      fc.property(scenarioArb(anyRun), (sc) => {
        const run = simulate(sc);
        assertNoThrow(run);
        expect(run.countMismatches).toEqual([]);
        if (run.plan.nodeIds.some((n) => (run.plan.parents.get(n)?.length ?? 0) > 1)) joinsSeen++;
      }),
      { numRuns: NUM_RUNS },
    );
    // The property covered workflows with joins, where the counts decide.
    expect(joinsSeen).toBeGreaterThan(NUM_RUNS / 10);
  });
});

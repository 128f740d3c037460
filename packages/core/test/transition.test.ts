import { describe, expect, it } from 'vitest';
import {
  applyNodeOutcome,
  compileWorkflow,
  isSettled,
  NodeAlreadySettledError,
  NodeNotFoundError,
  resolveNodeInput,
  startExecution,
  validateWorkflow,
} from '../src/index.js';
import { edgeFired } from '../src/store.js';
import { chain, Harness, node, workflow } from './helpers.js';

describe('isSettled / edgeFired', () => {
  it('treats completed, failed and skipped as settled', () => {
    expect(isSettled('completed')).toBe(true);
    expect(isSettled('failed')).toBe(true);
    expect(isSettled('skipped')).toBe(true);
    for (const s of ['pending', 'queued', 'running', 'waiting', 'delayed', 'cancelled'] as const) {
      expect(isSettled(s)).toBe(false);
    }
    expect(isSettled(undefined)).toBe(false);
  });

  it('fires for a completed parent without nextNodes or listing the child', () => {
    expect(edgeFired({ status: 'completed' }, 'c')).toBe(true);
    expect(edgeFired({ status: 'completed', nextNodes: ['c'] }, 'c')).toBe(true);
    expect(edgeFired({ status: 'completed', nextNodes: ['d'] }, 'c')).toBe(false);
    expect(edgeFired({ status: 'completed', nextNodes: [] }, 'c')).toBe(false);
  });

  it('fires for a continueOnFail failure only', () => {
    expect(edgeFired({ status: 'failed', continuedOnFail: true }, 'c')).toBe(true);
    expect(edgeFired({ status: 'failed' }, 'c')).toBe(false);
    expect(edgeFired({ status: 'skipped' }, 'c')).toBe(false);
    expect(edgeFired({ status: 'running' }, 'c')).toBe(false);
    expect(edgeFired(undefined, 'c')).toBe(false);
  });
});

describe('startExecution', () => {
  it('readies every root when there is no entryNodeId', () => {
    const plan = compileWorkflow(
      workflow([node('a'), node('b'), node('c', { inputs: ['a', 'b'] })]),
    );
    expect(startExecution(plan)).toEqual({ ready: ['a', 'b'], skipped: [], remaining: 3 });
  });

  it('returns a fresh ready array (not the frozen plan list)', () => {
    const plan = compileWorkflow(workflow([node('a')]));
    const s = startExecution(plan);
    expect(s.ready).not.toBe(plan.entryNodes);
    s.ready.push('x');
    expect(plan.entryNodes).toEqual(['a']);
  });
});

describe('chain A -> B -> C', () => {
  it('runs each node in turn and completes on the last', () => {
    const h = new Harness(
      workflow([node('A', { outputs: ['B'] }), node('B', { outputs: ['C'] }), node('C')]),
    );
    expect(h.start).toEqual({ ready: ['A'], skipped: [], remaining: 3 });

    let r = h.complete('A', { a: 1 });
    expect(r).toEqual({
      settled: [{ nodeId: 'A', status: 'completed' }],
      ready: ['B'],
      skipped: [],
      remaining: 2,
    });
    expect(h.input('B')).toEqual({
      inputData: { a: 1 },
      previousResults: { A: { success: true, data: { a: 1 } } },
    });

    r = h.complete('B', 'b-data');
    expect(r.ready).toEqual(['C']);
    expect(r.remaining).toBe(1);
    expect(r.status).toBeUndefined();
    expect(h.input('C').inputData).toBe('b-data');

    r = h.complete('C');
    expect(r).toEqual({
      settled: [{ nodeId: 'C', status: 'completed' }],
      ready: [],
      skipped: [],
      remaining: 0,
      status: 'completed',
    });
  });

  it('passes initialData to the entry node', () => {
    const h = new Harness(chain(3));
    const initial = { hello: 'world' };
    const input = h.input('n0', initial);
    expect(input.inputData).toBe(initial);
    expect(input.previousResults).toEqual({});
  });

  it('skips the rest of the chain when the first node selects nothing', () => {
    const h = new Harness(chain(4));
    const r = h.complete('n0', undefined, []);
    expect(r.skipped).toEqual([
      { nodeId: 'n1', reason: 'not-selected' },
      { nodeId: 'n2', reason: 'upstream-skipped' },
      { nodeId: 'n3', reason: 'upstream-skipped' },
    ]);
    expect(r.settled.map((s) => [s.nodeId, s.status, s.skipReason])).toEqual([
      ['n0', 'completed', undefined],
      ['n1', 'skipped', 'not-selected'],
      ['n2', 'skipped', 'upstream-skipped'],
      ['n3', 'skipped', 'upstream-skipped'],
    ]);
    expect(r.ready).toEqual([]);
    expect(r.remaining).toBe(0);
    expect(r.status).toBe('completed');
  });
});

describe('diamond A -> (B, C) -> D', () => {
  const def = workflow([
    node('A'),
    node('B', { inputs: ['A'] }),
    node('C', { inputs: ['A'] }),
    node('D', { inputs: ['B', 'C'] }),
  ]);

  it('waits for both branches and merges their data by parent id', () => {
    const h = new Harness(def);
    expect(h.complete('A', 1).ready).toEqual(['B', 'C']);
    const rb = h.complete('B', 'from-b');
    expect(rb.ready).toEqual([]);
    expect(rb.remaining).toBe(2);
    expect(h.status('D')).toBe('pending');
    const rc = h.complete('C', 'from-c');
    expect(rc.ready).toEqual(['D']);
    expect(h.input('D')).toEqual({
      inputData: { B: 'from-b', C: 'from-c' },
      previousResults: {
        B: { success: true, data: 'from-b' },
        C: { success: true, data: 'from-c' },
      },
    });
    expect(h.complete('D').status).toBe('completed');
  });

  it('is order-independent: C before B gives the same result', () => {
    const h = new Harness(def);
    h.complete('A');
    expect(h.complete('C').ready).toEqual([]);
    expect(h.complete('B').ready).toEqual(['D']);
    expect(h.complete('D').remaining).toBe(0);
  });

  it('runs D once when one branch is not selected', () => {
    const h = new Harness(def);
    const r = h.complete('A', 'a', ['B']);
    expect(r.ready).toEqual(['B']);
    expect(r.skipped).toEqual([{ nodeId: 'C', reason: 'not-selected' }]);
    expect(r.remaining).toBe(2);
    const rb = h.complete('B', 'b');
    expect(rb.ready).toEqual(['D']);
    expect(h.input('D')).toEqual({
      inputData: { B: 'b' },
      previousResults: { B: { success: true, data: 'b' } },
    });
    expect(h.complete('D').status).toBe('completed');
  });
});

describe('nextNodes: skip, cascade and a join with one skipped parent', () => {
  // A -> B -> D -> J;  A -> C -> E -> J;  E -> F
  const def = workflow([
    node('A', { outputs: ['B', 'C'] }),
    node('B', { outputs: ['D'] }),
    node('C', { outputs: ['E'] }),
    node('D', { outputs: ['J'] }),
    node('E', { outputs: ['J', 'F'] }),
    node('F'),
    node('J'),
  ]);

  it('skips the unselected branch, cascades, and runs the join once', () => {
    const h = new Harness(def);
    const r = h.complete('A', 'a', ['B']);
    expect(r.ready).toEqual(['B']);
    expect(r.skipped).toEqual([
      { nodeId: 'C', reason: 'not-selected' },
      { nodeId: 'E', reason: 'upstream-skipped' },
      { nodeId: 'F', reason: 'upstream-skipped' },
    ]);
    // J still waits for D.
    expect(h.status('J')).toBe('pending');
    expect(r.remaining).toBe(7 - 1 - 3);

    expect(h.complete('B', 'b').ready).toEqual(['D']);
    const rd = h.complete('D', 'd');
    expect(rd.ready).toEqual(['J']);
    expect(rd.skipped).toEqual([]);
    expect(h.input('J')).toEqual({
      inputData: { D: 'd' },
      previousResults: { D: { success: true, data: 'd' } },
    });
    const rj = h.complete('J');
    expect(rj.status).toBe('completed');
    expect(rj.remaining).toBe(0);
  });

  it('ignores nextNodes entries that are not children', () => {
    const h = new Harness(def);
    const r = h.complete('A', undefined, ['B', 'J', 'nope']);
    expect(r.ready).toEqual(['B']);
    expect(r.skipped.map((s) => s.nodeId)).toEqual(['C', 'E', 'F']);
  });

  it("reports 'not-selected' when a parent completed without selecting, even if another was skipped", () => {
    // S selects X only; Y is skipped; Z has parents X (selects nothing) and Y (skipped).
    const h = new Harness(
      workflow([
        node('S', { outputs: ['X', 'Y'] }),
        node('X', { outputs: ['Z'] }),
        node('Y', { outputs: ['Z'] }),
        node('Z'),
      ]),
    );
    h.complete('S', undefined, ['X']);
    const r = h.complete('X', undefined, []);
    expect(r.skipped).toEqual([{ nodeId: 'Z', reason: 'not-selected' }]);
    expect(r.status).toBe('completed');
  });

  it('nextNodes on a node with no children is harmless', () => {
    const h = new Harness(workflow([node('solo')]));
    const r = h.complete('solo', 1, ['whatever']);
    expect(r).toEqual({
      settled: [{ nodeId: 'solo', status: 'completed' }],
      ready: [],
      skipped: [],
      remaining: 0,
      status: 'completed',
    });
  });

  it('a skipped outcome applied to a node cascades like a skip', () => {
    const h = new Harness(chain(3));
    const r = h.apply('n0', { type: 'skipped', reason: 'not-selected' });
    expect(r.settled).toEqual([
      { nodeId: 'n0', status: 'skipped', skipReason: 'not-selected' },
      { nodeId: 'n1', status: 'skipped', skipReason: 'upstream-skipped' },
      { nodeId: 'n2', status: 'skipped', skipReason: 'upstream-skipped' },
    ]);
    expect(r.skipped).toHaveLength(3);
    expect(r.status).toBe('completed');
  });
});

describe('continueOnFail', () => {
  it('a continueOnFail failure counts as completed and passes { error } on', () => {
    const h = new Harness(
      workflow([node('A', { continueOnFail: true, outputs: ['B'] }), node('B')]),
    );
    const r = h.fail('A', 'kaput');
    expect(r).toEqual({
      settled: [{ nodeId: 'A', status: 'failed', continuedOnFail: true }],
      ready: ['B'],
      skipped: [],
      remaining: 1,
    });
    expect(h.input('B')).toEqual({
      inputData: { error: 'kaput' },
      previousResults: { A: { success: false, error: 'kaput' } },
    });
    expect(h.complete('B').status).toBe('completed');
  });

  it("passes the failure's own data when it has some", () => {
    const h = new Harness(
      workflow([node('A', { continueOnFail: true, outputs: ['B'] }), node('B')]),
    );
    h.fail('A', 'kaput', { partial: true });
    expect(h.input('B').inputData).toEqual({ partial: true });
  });

  it('a join gets the failure next to the completed parent', () => {
    const h = new Harness(
      workflow([node('A', { continueOnFail: true }), node('B'), node('J', { inputs: ['A', 'B'] })]),
    );
    expect(h.start.ready).toEqual(['A', 'B']);
    expect(h.fail('A', 'x').ready).toEqual([]);
    expect(h.complete('B', 2).ready).toEqual(['J']);
    expect(h.input('J')).toEqual({
      inputData: { A: { error: 'x' }, B: 2 },
      previousResults: { A: { success: false, error: 'x' }, B: { success: true, data: 2 } },
    });
    expect(h.complete('J').status).toBe('completed');
  });

  it('the last node failing with continueOnFail completes the execution', () => {
    const h = new Harness(workflow([node('A', { continueOnFail: true })]));
    const r = h.fail('A');
    expect(r.status).toBe('completed');
    expect(r.remaining).toBe(0);
  });
});

describe('hard failure', () => {
  it('fails the execution at once, settles only the node, leaves remaining unchanged', () => {
    const h = new Harness(
      workflow([
        node('A'),
        node('B', { inputs: ['A'] }),
        node('C', { inputs: ['A'] }),
        node('D', { inputs: ['B', 'C'] }),
      ]),
    );
    h.complete('A');
    expect(h.remaining).toBe(3);
    const r = h.fail('B', 'broken');
    expect(r).toEqual({
      settled: [{ nodeId: 'B', status: 'failed' }],
      ready: [],
      skipped: [],
      remaining: 3,
      status: 'failed',
    });
    expect(h.status('D')).toBe('pending');
  });

  it('a hard failure of the entry node fails a chain without touching its children', () => {
    const h = new Harness(chain(3));
    const r = h.fail('n0');
    expect(r.status).toBe('failed');
    expect(r.settled).toEqual([{ nodeId: 'n0', status: 'failed' }]);
    expect(r.remaining).toBe(3);
  });

  it('a child of a hard-failed parent is not decided by a later sibling event', () => {
    // Had the store kept going: J must not be readied or skipped while a parent failed for good.
    const h = new Harness(workflow([node('A'), node('B'), node('J', { inputs: ['A', 'B'] })]));
    h.fail('A');
    const r = h.complete('B');
    expect(r.ready).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(r.status).toBeUndefined();
  });
});

describe('entryNodeId with an unreachable branch', () => {
  // start -> a -> join;  other -> x -> join;  other -> y
  const def = workflow(
    [
      node('start', { outputs: ['a'] }),
      node('a', { outputs: ['join'] }),
      node('other', { outputs: ['x', 'y'] }),
      node('x', { outputs: ['join'] }),
      node('y'),
      node('join'),
    ],
    { entryNodeId: 'start' },
  );

  it('validates with an UNREACHABLE_NODE warning per unreachable node', () => {
    const result = validateWorkflow(def);
    expect(result.valid).toBe(true);
    expect(result.issues).toEqual([
      expect.objectContaining({ path: '/nodes/2', code: 'UNREACHABLE_NODE', severity: 'warning' }),
      expect.objectContaining({ path: '/nodes/3', code: 'UNREACHABLE_NODE', severity: 'warning' }),
      expect.objectContaining({ path: '/nodes/4', code: 'UNREACHABLE_NODE', severity: 'warning' }),
    ]);
  });

  it("skips unreachable nodes at start ('unreachable') and runs the rest", () => {
    const plan = compileWorkflow(def);
    expect(plan.entryNodes).toEqual(['start']);
    expect([...plan.unreachable].sort()).toEqual(['other', 'x', 'y']);
    expect(plan.warnings.map((w) => w.code)).toEqual([
      'UNREACHABLE_NODE',
      'UNREACHABLE_NODE',
      'UNREACHABLE_NODE',
    ]);
    const h = new Harness(plan);
    expect(h.start.ready).toEqual(['start']);
    expect(h.start.remaining).toBe(3);
    expect(h.start.skipped.map((s) => s.reason)).toEqual([
      'unreachable',
      'unreachable',
      'unreachable',
    ]);
    expect(h.input('start', 'init').inputData).toBe('init');
    expect(h.complete('start').ready).toEqual(['a']);
    // join's other parent x was skipped at start: join runs with a's data only.
    expect(h.complete('a', 'A').ready).toEqual(['join']);
    expect(h.input('join').inputData).toEqual({ a: 'A' });
    const r = h.complete('join');
    expect(r.status).toBe('completed');
    expect(r.remaining).toBe(0);
  });
});

describe('applyNodeOutcome errors', () => {
  const plan = compileWorkflow(chain(2));

  it('throws NodeAlreadySettledError for a settled node', () => {
    for (const status of ['completed', 'failed', 'skipped'] as const) {
      expect(() =>
        applyNodeOutcome(plan, () => ({ status }), 'n0', { type: 'completed' }, 2),
      ).toThrow(NodeAlreadySettledError);
    }
    const h = new Harness(plan);
    h.complete('n0');
    try {
      h.complete('n0');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NodeAlreadySettledError);
      expect((e as NodeAlreadySettledError).nodeId).toBe('n0');
      expect((e as NodeAlreadySettledError).status).toBe('completed');
    }
  });

  it('accepts an outcome for a node that is queued, running or unknown to the lookup', () => {
    for (const status of ['queued', 'running', 'pending', 'waiting', 'delayed'] as const) {
      expect(
        applyNodeOutcome(
          plan,
          (id) => (id === 'n0' ? { status } : undefined),
          'n0',
          {
            type: 'completed',
          },
          2,
        ).ready,
      ).toEqual(['n1']);
    }
  });

  it('throws NodeNotFoundError for a node not in the plan', () => {
    expect(() => applyNodeOutcome(plan, () => undefined, 'zz', { type: 'completed' }, 2)).toThrow(
      NodeNotFoundError,
    );
    expect(() => resolveNodeInput(plan, 'zz', () => undefined, null)).toThrow(NodeNotFoundError);
  });

  it('does not mutate anything through the lookup (pure)', () => {
    const state = new Map([['n0', { status: 'running' as const }]]);
    const before = JSON.stringify([...state]);
    applyNodeOutcome(plan, (id) => state.get(id), 'n0', { type: 'completed' }, 2);
    expect(JSON.stringify([...state])).toBe(before);
  });
});

describe('resolveNodeInput', () => {
  it('gives one parent its data as is (undefined too)', () => {
    const h = new Harness(chain(2));
    h.complete('n0');
    expect(h.input('n1')).toEqual({
      inputData: undefined,
      previousResults: { n0: { success: true } },
    });
  });

  it('lists a completed parent that did not select the node in previousResults but not in inputData', () => {
    const plan = compileWorkflow(
      workflow([node('a'), node('b'), node('j', { inputs: ['a', 'b'] })]),
    );
    const states = new Map([
      ['a', { status: 'completed' as const, data: 1, nextNodes: [] as string[] }],
      ['b', { status: 'completed' as const, data: 2 }],
    ]);
    expect(resolveNodeInput(plan, 'j', (id) => states.get(id), null)).toEqual({
      inputData: { b: 2 },
      previousResults: {
        a: { success: true, data: 1, nextNodes: [] },
        b: { success: true, data: 2 },
      },
    });
  });
});

describe('a 10,000-node chain', { timeout: 60_000 }, () => {
  it('runs through applyNodeOutcome; a skip at the head cascades without stack overflow', () => {
    const plan = compileWorkflow(chain(10_000));
    const h = new Harness(plan);
    expect(h.start.remaining).toBe(10_000);
    const r = h.complete('n0', undefined, []);
    expect(r.skipped).toHaveLength(9_999);
    expect(r.skipped[9_998]).toEqual({ nodeId: 'n9999', reason: 'upstream-skipped' });
    expect(r.status).toBe('completed');

    const h2 = new Harness(plan);
    let last = h2.complete('n0');
    for (let i = 1; i < 10_000; i++) last = h2.complete(`n${i}`);
    expect(last.status).toBe('completed');
  });
});

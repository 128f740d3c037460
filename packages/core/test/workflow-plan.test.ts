import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildGraph,
  CycleDetectedError,
  compileWorkflow,
  findCycles,
  NodeNotFoundError,
  planNode,
  reachableFrom,
  SpaneError,
  topologicalOrder,
  type WorkflowDefinition,
  WorkflowValidationError,
} from '../src/index.js';
import { node, workflow } from './helpers.js';

describe('buildGraph', () => {
  it('takes the union of inputs and outputs, de-duplicated, in definition order', () => {
    const g = buildGraph([
      { id: 'a', outputs: ['b', 'c'] },
      { id: 'b', inputs: ['a'] },
      { id: 'c' },
      { id: 'd', inputs: ['b', 'c'] },
    ]);
    expect(Object.fromEntries(g.parents)).toEqual({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] });
    expect(Object.fromEntries(g.children)).toEqual({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] });
  });

  it('drops references to unknown ids', () => {
    const g = buildGraph([{ id: 'a', outputs: ['ghost'], inputs: ['phantom'] }]);
    expect(g.parents.get('a')).toEqual([]);
    expect(g.children.get('a')).toEqual([]);
    expect(g.parents.has('ghost')).toBe(false);
  });
});

describe('topologicalOrder / findCycles / reachableFrom', () => {
  it('orders parents before children, ties in definition order', () => {
    const g = buildGraph([
      { id: 'd', inputs: ['b', 'c'] },
      { id: 'c', inputs: ['a'] },
      { id: 'b', inputs: ['a'] },
      { id: 'a' },
      { id: 'e' },
    ]);
    expect(topologicalOrder(g)).toEqual(['a', 'e', 'c', 'b', 'd']);
  });

  it('throws CycleDetectedError with the cycle path', () => {
    const g = buildGraph([
      { id: 'root', outputs: ['a'] },
      { id: 'a', outputs: ['b'] },
      { id: 'b', outputs: ['c'] },
      { id: 'c', outputs: ['a'] },
    ]);
    try {
      topologicalOrder(g);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CycleDetectedError);
      expect(e).toBeInstanceOf(WorkflowValidationError);
      expect(e).toBeInstanceOf(SpaneError);
      const err = e as CycleDetectedError;
      expect(err.code).toBe('CYCLE_DETECTED');
      expect(err.path).toEqual(['a', 'b', 'c', 'a']);
      expect(err.issues).toEqual([
        { path: '/nodes', code: 'CYCLE', message: 'cycle: a -> b -> c -> a', severity: 'error' },
      ]);
    }
  });

  it('findCycles reports a self-loop and respects its limit', () => {
    const g = buildGraph([{ id: 'a', inputs: ['a'] }]);
    expect(findCycles(g)).toEqual([['a', 'a']]);
    const many = buildGraph(
      Array.from({ length: 5 }, (_, i) => ({ id: `x${i}`, inputs: [`x${i}`] })),
    );
    expect(findCycles(many, 3)).toHaveLength(3);
    expect(findCycles(buildGraph([{ id: 'a' }, { id: 'b', inputs: ['a'] }]))).toEqual([]);
  });

  it('reachableFrom follows child edges and includes the starts', () => {
    const g = buildGraph([{ id: 'a', outputs: ['b'] }, { id: 'b' }, { id: 'c', outputs: ['b'] }]);
    expect([...reachableFrom(g, ['a'])].sort()).toEqual(['a', 'b']);
    expect([...reachableFrom(g, ['c', 'a'])].sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('compileWorkflow', () => {
  const def = (): WorkflowDefinition =>
    workflow(
      [
        node('a', { config: { url: 'x', nested: { deep: [1, 2] } }, outputs: ['b', 'c'] }),
        node('b'),
        node('c', { inputs: ['a', 'b'] }),
      ],
      { metadata: { tags: ['t'] } },
    );

  it('builds the plan', () => {
    const plan = compileWorkflow(def());
    expect(plan.workflowId).toBe('wf');
    expect(plan.nodeIds).toEqual(['a', 'b', 'c']);
    expect(plan.order).toEqual(['a', 'b', 'c']);
    expect(plan.entryNodes).toEqual(['a']);
    expect(plan.unreachable).toEqual([]);
    expect(plan.parents.get('c')).toEqual(['a', 'b']);
    expect(plan.children.get('a')).toEqual(['b', 'c']);
    expect(plan.nodes.get('b')).toEqual(node('b'));
    expect(plan.warnings).toEqual([]);
    expect(planNode(plan, 'a').id).toBe('a');
    expect(() => planNode(plan, 'zz')).toThrow(NodeNotFoundError);
  });

  it('lists every root as an entry node when there is no entryNodeId', () => {
    const plan = compileWorkflow(
      workflow([
        node('x', { inputs: ['r2'] }),
        node('r1'),
        node('r2'),
        node('y', { inputs: ['r1'] }),
      ]),
    );
    expect(plan.entryNodes).toEqual(['r1', 'r2']);
  });

  it('returns a frozen plan over a frozen copy of the definition', () => {
    const input = def();
    const plan = compileWorkflow(input);
    expect(Object.isFrozen(plan)).toBe(true);
    expect(plan.definition).not.toBe(input);
    expect(Object.isFrozen(plan.definition)).toBe(true);
    expect(Object.isFrozen(plan.definition.nodes)).toBe(true);
    expect(Object.isFrozen(plan.definition.nodes[0])).toBe(true);
    expect(Object.isFrozen(plan.definition.nodes[0]!.config)).toBe(true);
    expect(Object.isFrozen((plan.definition.nodes[0]!.config as { nested: object }).nested)).toBe(
      true,
    );
    expect(Object.isFrozen(plan.definition.metadata)).toBe(true);
    for (const list of [plan.nodeIds, plan.order, plan.entryNodes, plan.unreachable, plan.warnings])
      expect(Object.isFrozen(list)).toBe(true);
    for (const list of [...plan.parents.values(), ...plan.children.values()])
      expect(Object.isFrozen(list)).toBe(true);
    expect(Object.isFrozen(plan.nodes.get('a'))).toBe(true);
    expect(() => {
      (plan as { workflowId: string }).workflowId = 'other';
    }).toThrow(TypeError);
    // Changing the input afterwards does not change the plan.
    input.nodes[0]!.id = 'changed';
    (input.nodes[0]!.config as { url: string }).url = 'changed';
    expect(plan.nodeIds[0]).toBe('a');
    expect((plan.definition.nodes[0]!.config as { url: string }).url).toBe('x');
  });

  it('throws WorkflowValidationError (never a bare Error) for invalid definitions', () => {
    const bad = workflow([node('a', { outputs: ['b'] }), node('b', { outputs: ['a'] })]);
    try {
      compileWorkflow(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowValidationError);
      expect((e as WorkflowValidationError).issues.map((i) => i.code)).toEqual(['CYCLE']);
    }
    expect(() => compileWorkflow({ id: 'wf' } as never)).toThrow(WorkflowValidationError);
  });

  describe('version', { timeout: 60_000 }, () => {
    it('is a 16-hex-digit content hash, stable across compilations', () => {
      const v = compileWorkflow(def()).version;
      expect(v).toMatch(/^[0-9a-f]{16}$/);
      expect(compileWorkflow(def()).version).toBe(v);
    });

    it('ignores object key order', () => {
      const a = compileWorkflow(def()).version;
      const reordered = {
        metadata: { tags: ['t'] },
        nodes: [
          {
            outputs: ['b', 'c'],
            config: { nested: { deep: [1, 2] }, url: 'x' },
            type: 'noop',
            id: 'a',
          },
          { type: 'noop', id: 'b' },
          { inputs: ['a', 'b'], type: 'noop', id: 'c' },
        ],
        name: 'Test workflow',
        id: 'wf',
      } as WorkflowDefinition;
      expect(compileWorkflow(reordered).version).toBe(a);
    });

    it('changes when the definition changes', () => {
      const base = compileWorkflow(def()).version;
      const variants: ((d: WorkflowDefinition) => void)[] = [
        (d) => {
          d.name = 'Renamed';
        },
        (d) => {
          (d.nodes[0]!.config as { url: string }).url = 'y';
        },
        (d) => {
          (d.nodes[0]!.config as { nested: { deep: number[] } }).nested.deep = [2, 1];
        },
        (d) => {
          d.nodes[1]!.continueOnFail = true;
        },
        (d) => {
          d.nodes.push(node('z'));
        },
        (d) => {
          d.nodes[2]!.inputs = ['b', 'a'];
        },
        (d) => {
          d.entryNodeId = 'a';
        },
      ];
      const seen = new Set([base]);
      for (const change of variants) {
        const d = def();
        change(d);
        const v = compileWorkflow(d).version;
        expect(seen.has(v)).toBe(false);
        seen.add(v);
      }
    });

    it("does not ignore a '__proto__' key in config (as JSON.parse creates it)", () => {
      const parse = (json: string): WorkflowDefinition => JSON.parse(json);
      const v1 = compileWorkflow(
        parse('{"id":"w","name":"w","nodes":[{"id":"a","type":"t","config":{"__proto__":1}}]}'),
      ).version;
      const v2 = compileWorkflow(
        parse('{"id":"w","name":"w","nodes":[{"id":"a","type":"t","config":{"__proto__":2}}]}'),
      ).version;
      const v3 = compileWorkflow(
        parse('{"id":"w","name":"w","nodes":[{"id":"a","type":"t","config":{}}]}'),
      ).version;
      expect(new Set([v1, v2, v3]).size).toBe(3);
    });

    it('ignores key order at every depth (property)', () => {
      /** A deep copy of `v` with the keys of every object in a random order. */
      const shuffleKeys = (v: unknown, rand: () => number): unknown => {
        if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rand));
        if (v === null || typeof v !== 'object') return v;
        const keys = Object.keys(v).sort(() => rand() - 0.5);
        return Object.fromEntries(
          keys.map((k) => [k, shuffleKeys((v as Record<string, unknown>)[k], rand)]),
        );
      };
      const json = fc.jsonValue({ maxDepth: 3 });
      fc.assert(
        fc.property(
          fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 5 }),
          fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 5 }),
          fc.integer(),
          (config, metadata, seed) => {
            let s = seed;
            const rand = (): number => {
              s = (s * 1103515245 + 12345) & 0x7fffffff;
              return s / 0x7fffffff;
            };
            const d = workflow([node('a', { config, outputs: ['b'] }), node('b')], { metadata });
            const shuffled = shuffleKeys(d, rand) as WorkflowDefinition;
            expect(compileWorkflow(shuffled).version).toBe(compileWorkflow(d).version);
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});

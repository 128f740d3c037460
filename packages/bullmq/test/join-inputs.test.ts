import { compileWorkflow } from '@spane/core';
import { describe, expect, it } from 'vitest';
import {
  JOIN_INPUT_TTL_MS,
  JoinInputs,
  MAX_JOIN_INPUTS,
  MAX_JOIN_PARENTS,
} from '../src/join-inputs.js';

// JoinInputs holds the outputs of completed nodes for their join children (see Handoffs).

const plan = compileWorkflow({
  id: 'wf',
  name: 'wf',
  nodes: [
    { id: 'A', type: 't' },
    { id: 'B', type: 't', inputs: ['A'] },
    { id: 'C', type: 't', inputs: ['A'] },
    { id: 'D', type: 't', inputs: ['A'] },
    { id: 'J', type: 't', inputs: ['B', 'C', 'D'] },
  ],
});

const output = (data: unknown) => ({ data, dataText: JSON.stringify(data) });

describe('JoinInputs', () => {
  it('a join gets its other parents once each is recorded; in flight counts only when asked', () => {
    const joins = new JoinInputs();
    expect(joins.recording(plan, 'e', 'B', output('b'), 0)).toBe(true);
    expect(joins.recording(plan, 'e', 'C', output('c'), 0)).toBe(true);
    // In flight: enough to ask the store to start J, not to build its input.
    expect(joins.othersOf(plan, 'e', 'J', 'D', true, 1)).toBeDefined();
    expect(joins.othersOf(plan, 'e', 'J', 'D', false, 1)).toBeUndefined();
    joins.settle('e', 'B', true, 2);
    expect(joins.othersOf(plan, 'e', 'J', 'D', false, 2)).toBeUndefined();
    joins.settle('e', 'C', true, 2);
    const others = joins.othersOf(plan, 'e', 'J', 'D', false, 3);
    expect(Object.fromEntries(others!)).toEqual({
      B: { executionId: 'e', dataText: '"b"', at: 2, pending: false, joinsLeft: 1 },
      C: { executionId: 'e', dataText: '"c"', at: 2, pending: false, joinsLeft: 1 },
    });
    // Another execution's, or a parent missing: nothing.
    expect(joins.othersOf(plan, 'f', 'J', 'D', true, 3)).toBeUndefined();
    expect(joins.othersOf(plan, 'e', 'J', 'B', true, 3)).toBeUndefined();
  });

  it('forgets an output once every join it was held for started (consume), not before', () => {
    // B feeds the joins J and K; C feeds J only, D feeds K only.
    const two = compileWorkflow({
      id: 'two',
      name: 'two',
      nodes: [
        { id: 'B', type: 't' },
        { id: 'C', type: 't' },
        { id: 'D', type: 't' },
        { id: 'J', type: 't', inputs: ['B', 'C'] },
        { id: 'K', type: 't', inputs: ['B', 'D'] },
      ],
    });
    const joins = new JoinInputs();
    for (const node of ['B', 'C', 'D']) {
      expect(joins.recording(two, 'e', node, output(node), 0)).toBe(true);
      joins.settle('e', node, true, 0);
    }
    joins.consume(two, 'e', 'J');
    // C was held for J alone; B is still held for K.
    expect(joins.size).toBe(2);
    expect(joins.othersOf(two, 'e', 'J', 'B', false, 1)).toBeUndefined();
    expect(Object.keys(Object.fromEntries(joins.othersOf(two, 'e', 'K', 'D', false, 1)!))).toEqual([
      'B',
    ]);
    // Another execution's join started: nothing of this one is forgotten.
    joins.consume(two, 'f', 'K');
    expect(joins.size).toBe(2);
    joins.consume(two, 'e', 'K');
    expect(joins.size).toBe(0);
  });

  it('holds nothing for a node without a join child, an output selecting children, or data without its text', () => {
    const joins = new JoinInputs();
    expect(joins.recording(plan, 'e', 'A', output('a'))).toBe(false);
    expect(joins.recording(plan, 'e', 'B', { ...output('b'), nextNodes: ['J'] })).toBe(false);
    expect(joins.recording(plan, 'e', 'B', { data: 'b' })).toBe(false);
    expect(joins.recording(plan, 'e', 'B', { data: undefined })).toBe(true);
    expect(joins.size).toBe(1);
  });

  it('forgets an output not recorded, one held past the TTL, and an execution dropped', () => {
    const joins = new JoinInputs();
    joins.recording(plan, 'e', 'B', output('b'), 0);
    joins.settle('e', 'B', false, 1);
    expect(joins.size).toBe(0);
    for (const node of ['B', 'C']) {
      joins.recording(plan, 'e', node, output(node), 0);
      joins.settle('e', node, true, 0);
    }
    expect(joins.othersOf(plan, 'e', 'J', 'D', false, JOIN_INPUT_TTL_MS)).toBeDefined();
    expect(joins.othersOf(plan, 'e', 'J', 'D', false, JOIN_INPUT_TTL_MS + 1)).toBeUndefined();
    // The next hold prunes the stale ones.
    joins.recording(plan, 'f', 'B', output('b'), JOIN_INPUT_TTL_MS + 1);
    expect(joins.size).toBe(1);
    joins.recording(plan, 'g', 'B', output('b'), JOIN_INPUT_TTL_MS + 1);
    joins.drop('f');
    expect(joins.size).toBe(1);
    joins.clear();
    expect(joins.size).toBe(0);
  });

  it(`holds at most ${MAX_JOIN_INPUTS} outputs, and none for a join of more than ${MAX_JOIN_PARENTS} parents`, () => {
    const joins = new JoinInputs();
    for (let i = 0; i < MAX_JOIN_INPUTS; i++) {
      expect(joins.recording(plan, `e${i}`, 'B', output(i), 0)).toBe(true);
    }
    expect(joins.recording(plan, 'last', 'B', output('b'), 0)).toBe(false);
    expect(joins.size).toBe(MAX_JOIN_INPUTS);
    const parents = Array.from({ length: MAX_JOIN_PARENTS + 1 }, (_, i) => `P${i}`);
    const wide = compileWorkflow({
      id: 'wide',
      name: 'wide',
      nodes: [...parents.map((id) => ({ id, type: 't' })), { id: 'J', type: 't', inputs: parents }],
    });
    const fresh = new JoinInputs();
    expect(fresh.recording(wide, 'e', 'P0', output(0))).toBe(false);
    expect(fresh.othersOf(wide, 'e', 'J', 'P0', true)).toBeUndefined();
  });
});

import type { ExecutionState, NodeState } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { nodeInput } from '../src/app/model/node-input.js';

type Inputs = Pick<ExecutionState, 'nodeResults' | 'initialData'>;

const done = (data: unknown, extra: Partial<NodeState> = {}): NodeState => ({
  status: 'completed',
  attempts: 1,
  data,
  ...extra,
});

describe('nodeInput', () => {
  it('gives an entry node (no parents) the initial data', () => {
    const state: Inputs = { nodeResults: {}, initialData: { user: 7 } };
    expect(nodeInput(state, [], 'entry')).toEqual({ user: 7 });
    expect(nodeInput({ nodeResults: {} }, [], 'entry')).toBeUndefined();
  });

  it("gives a node with one parent that parent's output itself", () => {
    const state: Inputs = { nodeResults: { a: done({ n: 1 }) }, initialData: { ignored: true } };
    expect(nodeInput(state, ['a'], 'b')).toEqual({ n: 1 });
  });

  it('gives a join a map of its fired parents, keyed by parent id', () => {
    const state: Inputs = {
      nodeResults: { a: done(1), b: done({ two: 2 }), c: done(null) },
    };
    expect(nodeInput(state, ['a', 'b', 'c'], 'join')).toEqual({ a: 1, b: { two: 2 }, c: null });
  });

  it('leaves out a parent whose nextNodes do not include the child', () => {
    const state: Inputs = {
      nodeResults: {
        branch: done('left', { nextNodes: ['other'] }),
        a: done('a-out'),
        both: done('both-out', { nextNodes: ['join', 'other'] }),
      },
    };
    expect(nodeInput(state, ['branch', 'a', 'both'], 'join')).toEqual({
      a: 'a-out',
      both: 'both-out',
    });
    // A single parent that did not select the child gives it nothing.
    expect(nodeInput(state, ['branch'], 'child')).toBeUndefined();
    // An empty nextNodes selects no child at all.
    const none: Inputs = { nodeResults: { p: done('x', { nextNodes: [] }) } };
    expect(nodeInput(none, ['p'], 'child')).toBeUndefined();
  });

  it('passes a failed parent that continued: its data, or else { error }', () => {
    const state: Inputs = {
      nodeResults: {
        withData: { status: 'failed', attempts: 2, error: 'boom', data: { partial: 1 } },
        bare: { status: 'failed', attempts: 1, error: 'bad gateway', continuedOnFail: true },
      },
    };
    expect(nodeInput(state, ['withData'], 'c')).toEqual({ partial: 1 });
    expect(nodeInput(state, ['bare'], 'c')).toEqual({ error: 'bad gateway' });
    expect(nodeInput(state, ['withData', 'bare'], 'c')).toEqual({
      withData: { partial: 1 },
      bare: { error: 'bad gateway' },
    });
  });

  it('is undefined while no parent has settled', () => {
    const state: Inputs = {
      nodeResults: {
        a: { status: 'running', attempts: 1 },
        b: { status: 'queued', attempts: 0 },
        c: { status: 'skipped', attempts: 0, skipReason: 'upstream-skipped' },
      },
    };
    expect(nodeInput(state, ['a'], 'x')).toBeUndefined();
    expect(nodeInput(state, ['a', 'b', 'c', 'never-seen'], 'x')).toBeUndefined();
  });

  it('gives a join the parents settled so far', () => {
    const state: Inputs = {
      nodeResults: { a: done('a-out'), b: { status: 'running', attempts: 1 } },
    };
    expect(nodeInput(state, ['a', 'b'], 'join')).toEqual({ a: 'a-out' });
  });

  it('keeps a completed parent whose output is undefined as a key of the join', () => {
    const state: Inputs = { nodeResults: { a: done(undefined), b: done(2) } };
    const input = nodeInput(state, ['a', 'b'], 'join') as Record<string, unknown>;
    expect(Object.keys(input)).toEqual(['a', 'b']);
  });
});

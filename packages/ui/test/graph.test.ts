import type { NodeDefinition } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { nodeLabel, parentsOf, workflowEdges } from '../src/app/model/graph.js';

/** A node of type `t` with the given edges. */
const node = (id: string, edges: Partial<Pick<NodeDefinition, 'inputs' | 'outputs'>> = {}) =>
  ({ id, type: 't', ...edges }) satisfies NodeDefinition;

describe('workflowEdges', () => {
  it('reads edges listed as inputs of the child', () => {
    const nodes = [node('a'), node('b', { inputs: ['a'] }), node('c', { inputs: ['b'] })];
    expect(workflowEdges({ nodes })).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
    ]);
  });

  it('reads edges listed as outputs of the parent', () => {
    const nodes = [node('a', { outputs: ['b', 'c'] }), node('b'), node('c')];
    expect(workflowEdges({ nodes })).toEqual([
      { from: 'a', to: 'b' },
      { from: 'a', to: 'c' },
    ]);
  });

  it('mixes both sides', () => {
    const nodes = [node('a', { outputs: ['b'] }), node('b'), node('c', { inputs: ['b'] })];
    expect(workflowEdges({ nodes })).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
    ]);
  });

  it('keeps an edge listed on both sides, or twice on one side, once', () => {
    const nodes = [
      node('a', { outputs: ['b', 'b'] }),
      node('b', { inputs: ['a', 'a'], outputs: ['c'] }),
      node('c', { inputs: ['b'] }),
    ];
    expect(workflowEdges({ nodes })).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
    ]);
  });

  it('drops edges to or from ids that are not nodes', () => {
    const nodes = [node('a', { outputs: ['ghost'] }), node('b', { inputs: ['a', 'missing'] })];
    expect(workflowEdges({ nodes })).toEqual([{ from: 'a', to: 'b' }]);
  });

  it('follows definition order: per node, its inputs, then its outputs', () => {
    const nodes = [
      node('c', { inputs: ['b', 'a'] }),
      node('a', { outputs: ['d'] }),
      node('b'),
      node('d', { inputs: ['c'] }),
    ];
    expect(workflowEdges({ nodes })).toEqual([
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
      { from: 'a', to: 'd' },
      { from: 'c', to: 'd' },
    ]);
  });

  it('gives no edges for nodes without any', () => {
    expect(workflowEdges({ nodes: [node('a'), node('b')] })).toEqual([]);
  });

  it('does not mistake ids that concatenate alike for the same edge', () => {
    const nodes = [
      node('a', { outputs: ['bb'] }),
      node('ab', { outputs: ['b'] }),
      node('b'),
      node('bb'),
    ];
    expect(workflowEdges({ nodes })).toEqual([
      { from: 'a', to: 'bb' },
      { from: 'ab', to: 'b' },
    ]);
  });
});

describe('parentsOf', () => {
  it('lists the parents of each node in edge order', () => {
    const parents = parentsOf([
      { from: 'b', to: 'd' },
      { from: 'a', to: 'b' },
      { from: 'c', to: 'd' },
      { from: 'a', to: 'd' },
    ]);
    expect(parents.get('d')).toEqual(['b', 'c', 'a']);
    expect(parents.get('b')).toEqual(['a']);
  });

  it('has no entry for a node without parents', () => {
    const parents = parentsOf([{ from: 'a', to: 'b' }]);
    expect(parents.has('a')).toBe(false);
    expect(parents.size).toBe(1);
    expect(parentsOf([]).size).toBe(0);
  });
});

describe('nodeLabel', () => {
  it('is the name when there is one', () => {
    expect(nodeLabel({ id: 'fetch-1', name: 'Fetch users' })).toBe('Fetch users');
  });

  it('is the id without a name, or with an empty or blank one', () => {
    expect(nodeLabel({ id: 'fetch-1' })).toBe('fetch-1');
    expect(nodeLabel({ id: 'fetch-1', name: '' })).toBe('fetch-1');
    expect(nodeLabel({ id: 'fetch-1', name: '   ' })).toBe('fetch-1');
  });

  it('keeps a name as written (no trimming)', () => {
    expect(nodeLabel({ id: 'x', name: ' Spaced ' })).toBe(' Spaced ');
  });
});

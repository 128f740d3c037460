/**
 * The workload's workflow shapes (diamonds, chains, fan-outs, and one poison workflow per
 * poison kind) and a seeded plan of executions over them.
 */
import type { WorkflowDefinition } from '@spane/core';
import { POISON_KINDS, type PoisonKind } from './node-types.js';
import type { Rng } from './rng.js';

const node = (id: string, inputs: string[] = [], type = 'work') => ({
  id,
  type,
  ...(inputs.length ? { inputs } : {}),
});

/** The normal shapes: every execution of them must complete. */
export const SHAPES: WorkflowDefinition[] = [
  {
    id: 'diamond',
    name: 'diamond',
    nodes: [node('a'), node('b', ['a']), node('c', ['a']), node('d', ['b', 'c'])],
  },
  {
    id: 'chain',
    name: 'chain',
    nodes: [node('n1'), node('n2', ['n1']), node('n3', ['n2']), node('n4', ['n3'])],
  },
  {
    id: 'fanout',
    name: 'fan-out',
    nodes: [
      node('root'),
      ...['f1', 'f2', 'f3', 'f4', 'f5'].map((f) => node(f, ['root'])),
      node('join', ['f1', 'f2', 'f3', 'f4', 'f5']),
    ],
  },
];

/** The workflow whose middle node is a poison of `kind`: `before → poison → after`. */
export function poisonWorkflow(kind: PoisonKind): WorkflowDefinition {
  return {
    id: `poison-${kind}`,
    name: `poison: ${POISON_KINDS[kind]}`,
    nodes: [
      node('before'),
      node('poison', ['before'], `poison-${kind}`),
      node('after', ['poison']),
    ],
  };
}

/** One planned execution. */
export interface PlannedExecution {
  key: string;
  workflowId: string;
  mayFail: boolean;
  initialData: { sleep: Record<string, number> };
  /** When to enqueue it, ms after the workload starts. */
  atMs: number;
}

/**
 * `count` executions of the normal shapes spread over `spreadMs`, each node sleeping
 * `minSleepMs`–`maxSleepMs`; plus `poison` executions of each given poison kind.
 */
export function planWorkload(
  rng: Rng,
  opts: {
    count: number;
    spreadMs: number;
    minSleepMs: number;
    maxSleepMs: number;
    poison?: PoisonKind[];
    tag: string;
  },
): PlannedExecution[] {
  const out: PlannedExecution[] = [];
  const sleepsFor = (wf: WorkflowDefinition) =>
    Object.fromEntries(wf.nodes.map((n) => [n.id, rng.int(opts.minSleepMs, opts.maxSleepMs)]));
  for (let i = 0; i < opts.count; i++) {
    const wf = rng.pick(SHAPES);
    out.push({
      key: `${opts.tag}-${i}`,
      workflowId: wf.id,
      mayFail: false,
      initialData: { sleep: sleepsFor(wf) },
      atMs: rng.int(0, opts.spreadMs),
    });
  }
  for (const kind of opts.poison ?? []) {
    const wf = poisonWorkflow(kind);
    out.push({
      key: `${opts.tag}-poison-${kind}`,
      workflowId: wf.id,
      mayFail: true,
      initialData: { sleep: sleepsFor(wf) },
      atMs: rng.int(0, opts.spreadMs),
    });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

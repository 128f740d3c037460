import { compileWorkflow, type NodeDefinition, type WorkflowPlan } from '@spane/core';

/**
 * Workflow plans the suites run. Every builder takes the workflow id (tests use fresh ids)
 * and returns a compiled, frozen plan. Node type is irrelevant to a store.
 */

const NODE_TYPE = 'testkit.noop';

function node(id: string, inputs: string[] = [], extra: Partial<NodeDefinition> = {}) {
  const def: NodeDefinition = { id, type: NODE_TYPE, ...extra };
  if (inputs.length > 0) def.inputs = inputs;
  return def;
}

function plan(
  workflowId: string,
  nodes: NodeDefinition[],
  extra: { entryNodeId?: string; description?: string } = {},
): WorkflowPlan {
  return compileWorkflow({ id: workflowId, name: `testkit ${workflowId}`, nodes, ...extra });
}

/**
 * `A → B → C …` of `length` nodes (`A`, `B`, …). A different `variant` gives a different
 * definition, hence a different version, of the same workflow.
 */
export function chainPlan(workflowId: string, length = 3, variant?: string): WorkflowPlan {
  const ids = Array.from({ length }, (_, i) => String.fromCharCode(65 + i));
  return plan(
    workflowId,
    ids.map((id, i) => node(id, i === 0 ? [] : [ids[i - 1]!])),
    variant === undefined ? {} : { description: `variant ${variant}` },
  );
}

/** `A → B`, `A → C`, `B + C → D`. */
export function diamondPlan(workflowId: string): WorkflowPlan {
  return plan(workflowId, [node('A'), node('B', ['A']), node('C', ['A']), node('D', ['B', 'C'])]);
}

/** Id of parent `i` of join `j` in {@link fanInPlan}. */
export function fanInParent(join: number, parent: number): string {
  return `J${join}.P${parent}`;
}

/** Id of join `j` in {@link fanInPlan}. */
export function fanInJoin(join: number): string {
  return `J${join}`;
}

/** `joins` independent wide fan-ins: parents `J<j>.P<i>` (all entry nodes) → join `J<j>`. */
export function fanInPlan(workflowId: string, parents: number, joins = 1): WorkflowPlan {
  const nodes: NodeDefinition[] = [];
  for (let j = 0; j < joins; j++) {
    const ids = Array.from({ length: parents }, (_, i) => fanInParent(j, i));
    for (const id of ids) nodes.push(node(id));
    nodes.push(node(fanInJoin(j), ids));
  }
  return plan(workflowId, nodes);
}

/** `width` independent nodes `N0`, `N1`, … (all entry nodes, all last nodes). */
export function parallelPlan(workflowId: string, width: number): WorkflowPlan {
  return plan(
    workflowId,
    Array.from({ length: width }, (_, i) => node(`N${i}`)),
  );
}

/**
 * A branch: `A → B`, `A → C`, `B → D`, `C → E`, `B + C → J`. Completing `A` with
 * `nextNodes: ['B']` skips `C` (not-selected) and `E` (upstream-skipped); `J` still runs
 * after `B`.
 */
export function branchPlan(workflowId: string): WorkflowPlan {
  return plan(workflowId, [
    node('A'),
    node('B', ['A']),
    node('C', ['A']),
    node('D', ['B']),
    node('E', ['C']),
    node('J', ['B', 'C']),
  ]);
}

/** `A → B → C` where `B` has `continueOnFail`. */
export function continueOnFailPlan(workflowId: string): WorkflowPlan {
  return plan(workflowId, [
    node('A'),
    node('B', ['A'], { continueOnFail: true }),
    node('C', ['B']),
  ]);
}

/** `entryNodeId: 'A'` with `A → B`; `X → Y` is unreachable from `A`. */
export function entryNodePlan(workflowId: string): WorkflowPlan {
  return plan(workflowId, [node('A'), node('B', ['A']), node('X'), node('Y', ['X'])], {
    entryNodeId: 'A',
  });
}

/** `A` → `B`, `C`, `D`, `F`, `G`; `B → E`. Failing `B` leaves `E` pending and cancels the rest. */
export function failurePlan(workflowId: string): WorkflowPlan {
  return plan(workflowId, [
    node('A'),
    node('B', ['A']),
    node('C', ['A']),
    node('D', ['A']),
    node('F', ['A']),
    node('G', ['A']),
    node('E', ['B']),
  ]);
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same DAG and outcomes. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random DAG of `size` nodes `N0…`: `N0` is the entry; every other node has one to three
 * parents among the nodes before it, so all are reachable. About one node in five has
 * `continueOnFail`.
 */
export function randomPlan(workflowId: string, size: number, random: () => number): WorkflowPlan {
  const nodes: NodeDefinition[] = [node('N0')];
  for (let i = 1; i < size; i++) {
    const inputs = new Set<string>();
    const wanted = 1 + Math.floor(random() * Math.min(3, i));
    while (inputs.size < wanted) inputs.add(`N${Math.floor(random() * i)}`);
    nodes.push(node(`N${i}`, [...inputs], random() < 0.2 ? { continueOnFail: true } : {}));
  }
  return plan(workflowId, nodes);
}

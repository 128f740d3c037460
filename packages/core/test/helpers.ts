import {
  applyNodeOutcome,
  compileWorkflow,
  type NodeDefinition,
  type NodeInput,
  type NodeOutcome,
  type ParentResult,
  resolveNodeInput,
  type StartTransition,
  startExecution,
  type TransitionResult,
  type WorkflowDefinition,
  type WorkflowPlan,
} from '../src/index.js';

/** A node definition of type `noop`. */
export function node(id: string, extra: Partial<NodeDefinition> = {}): NodeDefinition {
  return { id, type: 'noop', ...extra };
}

/** A workflow definition with id `wf`. */
export function workflow(
  nodes: NodeDefinition[],
  extra: Partial<WorkflowDefinition> = {},
): WorkflowDefinition {
  return { id: 'wf', name: 'Test workflow', nodes, ...extra };
}

/** A chain `n0 -> n1 -> ... -> n(count-1)`, edges declared through `inputs`. */
export function chain(count: number, via: 'inputs' | 'outputs' = 'inputs'): WorkflowDefinition {
  const nodes: NodeDefinition[] = [];
  for (let i = 0; i < count; i++) {
    const n: NodeDefinition = { id: `n${i}`, type: 'noop' };
    if (via === 'inputs' && i > 0) n.inputs = [`n${i - 1}`];
    if (via === 'outputs' && i < count - 1) n.outputs = [`n${i + 1}`];
    nodes.push(n);
  }
  return workflow(nodes);
}

/**
 * A minimal store for unit tests: keeps node states in a Map, starts with `startExecution`
 * and records what each `applyNodeOutcome` returns. It checks nothing itself.
 */
export class Harness {
  readonly plan: WorkflowPlan;
  readonly state = new Map<string, ParentResult>();
  readonly start: StartTransition;
  remaining: number;

  constructor(planOrDef: WorkflowPlan | WorkflowDefinition) {
    this.plan = 'version' in planOrDef ? planOrDef : compileWorkflow(planOrDef);
    this.start = startExecution(this.plan);
    for (const s of this.start.skipped) this.state.set(s.nodeId, { status: 'skipped' });
    for (const id of this.start.ready) this.state.set(id, { status: 'queued' });
    this.remaining = this.start.remaining;
  }

  readonly lookup = (id: string): ParentResult | undefined => this.state.get(id);

  status(id: string): string {
    return this.state.get(id)?.status ?? 'pending';
  }

  complete(id: string, data?: unknown, nextNodes?: string[]): TransitionResult {
    return this.apply(id, { type: 'completed', data, nextNodes });
  }

  fail(id: string, error = 'boom', data?: unknown): TransitionResult {
    return this.apply(id, { type: 'failed', error, data });
  }

  apply(id: string, outcome: NodeOutcome): TransitionResult {
    const r = applyNodeOutcome(this.plan, this.lookup, id, outcome, this.remaining);
    for (const s of r.settled) {
      if (s.status === 'skipped') this.state.set(s.nodeId, { status: 'skipped' });
      else if (s.nodeId !== id) throw new Error(`unexpected settled ${JSON.stringify(s)}`);
    }
    if (outcome.type === 'completed') {
      this.state.set(id, { status: 'completed', data: outcome.data, nextNodes: outcome.nextNodes });
    } else if (outcome.type === 'failed') {
      this.state.set(id, {
        status: 'failed',
        error: outcome.error,
        data: outcome.data,
        continuedOnFail: r.settled[0]?.continuedOnFail === true,
      });
    }
    for (const q of r.ready) this.state.set(q, { status: 'queued' });
    this.remaining = r.remaining;
    return r;
  }

  input(id: string, initialData?: unknown): NodeInput {
    return resolveNodeInput(this.plan, id, this.lookup, initialData);
  }
}

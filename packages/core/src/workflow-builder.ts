import { type ValidationIssue, WorkflowValidationError } from './errors.js';
import type { AnyNodeTypeDefinition, NodeConfigOf } from './node-type-definition.js';
import { type ValidateWorkflowOptions, validateWorkflow } from './validate-workflow.js';
import type { NodeDefinition, Trigger, WorkflowDefinition } from './workflow-schema.js';

/**
 * A typed way to write a {@link WorkflowDefinition} in TypeScript: `defineWorkflow(id)`
 * then `.node(…)`, `.edge(…)`, `.trigger(…)`, `.entry(…)` and `.build()`, which returns the
 * same plain JSON definition one would write by hand, validated. The builder's type
 * accumulates the declared node ids, so that a parent, an edge or an entry naming an
 * undeclared node, or a node id declared twice, is a compile error; each node's `config`
 * is typed by its node type's definition ({@link defineNodeType}).
 */

/** The top-level fields of a workflow besides its `id`, `nodes` and `entryNodeId`; `name` defaults to the id. */
export interface WorkflowOptions
  extends Omit<WorkflowDefinition, 'id' | 'name' | 'nodes' | 'entryNodeId'> {
  /** Name for people. @defaultValue the workflow's id */
  name?: string;
}

/**
 * The fields of one node besides its `id` and `type`: `config` (typed by the node type)
 * and `inputs` (parent ids, each declared before this node), `name`, `retry`, `timeoutMs`,
 * `continueOnFail` and `metadata` as in {@link NodeDefinition}.
 */
export interface NodeSpec<Ids extends string, Config>
  extends Omit<NodeDefinition, 'id' | 'type' | 'config' | 'inputs' | 'outputs'> {
  /** The node's `config`, typed by its node type. */
  config?: Config;
  /** Parent node ids: nodes declared before this one. More edges may follow with `.edge`. */
  inputs?: readonly Ids[];
}

/**
 * The last parameters of `.node(id, type, spec)`: `spec` may be left out when the node
 * type's config has no required field; otherwise it and its `config` are required.
 */
export type NodeSpecArgs<Ids extends string, Type> =
  Record<never, never> extends NodeConfigOf<Type>
    ? [spec?: NodeSpec<Ids, NodeConfigOf<Type>>]
    : [spec: NodeSpec<Ids, NodeConfigOf<Type>> & { config: NodeConfigOf<Type> }];

/**
 * A node id not declared yet, or, for one that is, a string literal naming the problem
 * (so the compiler reports "not assignable to `duplicate node id 'x'`"). Ids given as
 * plain `string` are not tracked and never reported here; `build()` reports duplicates.
 */
export type NewNodeId<Id extends string, Ids extends string> = string extends Ids
  ? Id
  : Id extends Ids
    ? `duplicate node id '${Id}'`
    : Id;

/**
 * A workflow under construction (see {@link defineWorkflow}). Every method returns a new
 * builder and leaves this one as it was, so a builder can be shared and extended twice.
 * `Ids` is the union of the node ids declared so far.
 */
export interface WorkflowBuilder<Ids extends string = never> {
  /**
   * Adds a node. `type` is a {@link NodeTypeDefinition} (its `config` is then typed by the
   * type's schema: a missing required field or an unknown key is a compile error) or a
   * type name (config `Record<string, unknown>`). `spec.inputs` lists parents declared
   * before. The node is written as `{ id, type, name?, config?, inputs?, retry?, timeoutMs?,
   * continueOnFail?, metadata? }`, leaving out what is not given.
   */
  node<const Id extends string, Type extends AnyNodeTypeDefinition | string>(
    id: NewNodeId<Id, Ids>,
    type: Type,
    ...spec: NodeSpecArgs<Ids, Type>
  ): WorkflowBuilder<Ids | Id>;
  /**
   * Adds the edge `from → to` between two declared nodes: `from` is appended to `to`'s
   * `inputs` (after those of its spec, in call order).
   */
  edge<const From extends Ids>(from: From, to: Exclude<Ids, From>): WorkflowBuilder<Ids>;
  /** Appends a trigger (after those of the options). */
  trigger(trigger: Trigger): WorkflowBuilder<Ids>;
  /** Sets `entryNodeId`: the node the workflow starts at (it must have no inputs). */
  entry(nodeId: Ids): WorkflowBuilder<Ids>;
  /**
   * The definition as plain JSON data (a fresh copy on each call), validated as
   * `validateWorkflow(def, options)` does, so a definition `build()` returns is one
   * `registerWorkflow` accepts, node types and their configs aside (the engine checks those
   * against its registry). Warnings (unreachable nodes) do not throw.
   * @throws WorkflowValidationError carrying every issue, as the engine throws it, when the
   *   definition is invalid (a cycle made with `.edge`, an id the compiler could not check, …).
   */
  build(options?: ValidateWorkflowOptions): WorkflowDefinition;
}

/** One call made on a builder, kept in a list shared by the builders derived from it. */
type Step =
  | { readonly kind: 'node'; readonly node: NodeDefinition }
  | { readonly kind: 'edge'; readonly from: string; readonly to: string }
  | { readonly kind: 'trigger'; readonly trigger: Trigger }
  | { readonly kind: 'entry'; readonly nodeId: string };

/** The steps of a builder, newest first; each builder adds one cell and shares the rest. */
interface Steps {
  readonly step: Step;
  readonly previous: Steps | undefined;
}

const NODE_KEYS = [
  'id',
  'type',
  'name',
  'config',
  'inputs',
  'outputs',
  'retry',
  'timeoutMs',
  'continueOnFail',
  'metadata',
] as const;
const WORKFLOW_KEYS = [
  'id',
  'name',
  'description',
  'entryNodeId',
  'nodes',
  'maxConcurrency',
  'timeoutMs',
  'triggers',
  'defaults',
  'metadata',
] as const;

/** The defined fields of `value`, those of `order` first in that order, then the others (which validation reports). */
function ordered(
  value: Record<string, unknown>,
  order: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (value[key] !== undefined) out[key] = value[key];
  for (const [key, v] of Object.entries(value)) if (v !== undefined && !(key in out)) out[key] = v;
  return out;
}

class Builder implements WorkflowBuilder<string> {
  readonly #id: string;
  readonly #options: WorkflowOptions;
  readonly #steps: Steps | undefined;

  constructor(id: string, options: WorkflowOptions, steps: Steps | undefined) {
    this.#id = id;
    this.#options = options;
    this.#steps = steps;
  }

  #with(step: Step): Builder {
    return new Builder(this.#id, this.#options, { step, previous: this.#steps });
  }

  node(id: string, type: AnyNodeTypeDefinition | string, spec: object = {}): Builder {
    const typeName = typeof type === 'string' ? type : type?.type;
    const node = { ...spec, id, type: typeName } as NodeDefinition;
    if (node.inputs !== undefined) node.inputs = [...node.inputs];
    return this.#with({ kind: 'node', node });
  }

  edge(from: string, to: string): Builder {
    return this.#with({ kind: 'edge', from, to });
  }

  trigger(trigger: Trigger): Builder {
    return this.#with({ kind: 'trigger', trigger });
  }

  entry(nodeId: string): Builder {
    return this.#with({ kind: 'entry', nodeId });
  }

  build(options?: ValidateWorkflowOptions): WorkflowDefinition {
    const { definition, edgeIssues } = this.#assemble();
    const { valid, issues } = validateWorkflow(definition, options);
    if (!valid || edgeIssues.length > 0) {
      throw new WorkflowValidationError([...edgeIssues, ...issues]);
    }
    return structuredClone(definition);
  }

  /** The definition the steps describe, and an issue for each edge into an undeclared node. */
  #assemble(): { definition: WorkflowDefinition; edgeIssues: ValidationIssue[] } {
    const steps: Step[] = [];
    for (let s = this.#steps; s !== undefined; s = s.previous) steps.push(s.step);
    steps.reverse();
    const nodes: NodeDefinition[] = [];
    const byId = new Map<string, NodeDefinition>();
    const edgeIssues: ValidationIssue[] = [];
    const triggers: Trigger[] = [...(this.#options.triggers ?? [])];
    let entryNodeId: string | undefined;
    for (const step of steps) {
      if (step.kind === 'node') {
        const node = { ...step.node };
        nodes.push(node);
        if (!byId.has(node.id)) byId.set(node.id, node);
      } else if (step.kind === 'edge') {
        const child = byId.get(step.to);
        if (child) child.inputs = [...(child.inputs ?? []), step.from];
        else edgeIssues.push(unknownEdgeTarget(step.from, step.to));
      } else if (step.kind === 'trigger') {
        triggers.push(step.trigger);
      } else {
        entryNodeId = step.nodeId;
      }
    }
    const definition = ordered(
      {
        ...this.#options,
        id: this.#id,
        name: this.#options.name ?? this.#id,
        entryNodeId,
        nodes: nodes.map((n) => ordered(n, NODE_KEYS)),
        triggers: triggers.length > 0 ? triggers : undefined,
      },
      WORKFLOW_KEYS,
    ) as WorkflowDefinition;
    return { definition, edgeIssues };
  }
}

function unknownEdgeTarget(from: string, to: string): ValidationIssue {
  return {
    path: '/nodes',
    code: 'UNKNOWN_NODE_REFERENCE',
    message: `edge '${from}' -> '${to}': unknown node '${to}'`,
    severity: 'error',
  };
}

/**
 * Starts a typed workflow definition with the given `id` and top-level options (`name`,
 * which defaults to the id, `description`, `maxConcurrency`, `timeoutMs`, `triggers`,
 * `defaults`, `metadata`). `defineWorkflow<string>(id)` gives a builder that does not
 * track node ids (for ids computed at run time): any id is accepted at compile time and
 * `build()` reports the bad ones.
 *
 * @example
 * ```ts
 * const { http, transform } = builtInNodeTypes;
 * const definition = defineWorkflow('sync-user', { name: 'Sync user' })
 *   .node('fetch', http, { config: { url: 'https://api.example.com/user' } })
 *   .node('shape', transform, { config: { pick: ['body.id'] }, inputs: ['fetch'] })
 *   .build(); // { id: 'sync-user', name: 'Sync user', nodes: [ … ] }, validated
 * ```
 */
export function defineWorkflow<Ids extends string = never>(
  id: string,
  options: WorkflowOptions = {},
): WorkflowBuilder<Ids> {
  // One class serves every `Ids`: the id union exists only in the types.
  return new Builder(id, { ...options }, undefined) as unknown as WorkflowBuilder<Ids>;
}

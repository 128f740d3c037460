import {
  DelayNodeConfigSchema,
  type HttpNodeConfig,
  HttpNodeConfigSchema,
  type MapNodeConfig,
  MapNodeConfigSchema,
  NoopNodeConfigSchema,
  type SubWorkflowNodeConfig,
  SubWorkflowNodeConfigSchema,
  type SwitchNodeConfig,
  SwitchNodeConfigSchema,
  type TransformNodeConfig,
  TransformNodeConfigSchema,
  type WaitForSignalNodeConfig,
  WaitForSignalNodeConfigSchema,
} from './built-in-node-schemas.js';
import { defineNodeType, type NodeTypeDefinition } from './node-type-definition.js';

/**
 * Typed definitions of SPANE's built-in node types, for the workflow builder
 * ({@link defineWorkflow}): their `config` types come from the schemas of
 * `built-in-node-schemas.ts`.
 */

/**
 * `config` of a `delay` node as the builder takes it: exactly one of `durationMs` and
 * `until` (the schema's union, with the other key excluded so that giving both is a
 * compile error).
 */
export type DelayNodeBuilderConfig =
  | { durationMs: number; until?: never }
  | { until: string; durationMs?: never };

const delay = defineNodeType('delay', {
  description: 'Waits a duration, or until a time, then passes its input on (run by the engine)',
  config: DelayNodeConfigSchema,
}) as NodeTypeDefinition<'delay', DelayNodeBuilderConfig>;

/** The type of {@link builtInNodeTypes}: each built-in type with its config type. */
export interface BuiltInNodeTypes {
  /** `noop`: returns its input; takes no config. */
  readonly noop: NodeTypeDefinition<'noop', Record<string, never>>;
  /** `transform`: `pick`, then `rename`, then `set` on its input (dotted paths). */
  readonly transform: NodeTypeDefinition<'transform', TransformNodeConfig>;
  /** `switch`: passes its input on and runs the children of the matching case. */
  readonly switch: NodeTypeDefinition<'switch', SwitchNodeConfig>;
  /** `http`: one HTTP request; returns `{ status, headers, body }`. */
  readonly http: NodeTypeDefinition<'http', HttpNodeConfig>;
  /** `delay`: waits `durationMs` or `until` a time (run by the engine). */
  readonly delay: NodeTypeDefinition<'delay', DelayNodeBuilderConfig>;
  /** `sub-workflow`: runs another workflow as a child execution (run by the engine). */
  readonly subWorkflow: NodeTypeDefinition<'sub-workflow', SubWorkflowNodeConfig>;
  /** `wait-for-signal`: waits for `engine.signal(…, name, payload)` (run by the engine). */
  readonly waitForSignal: NodeTypeDefinition<'wait-for-signal', WaitForSignalNodeConfig>;
  /** `map`: runs a workflow or a node type once per item of a list (run by the engine). */
  readonly map: NodeTypeDefinition<'map', MapNodeConfig>;
}

/**
 * The built-in node types as typed definitions, for `defineWorkflow(…).node(id, type, …)`:
 * `delay`, `subWorkflow` (`sub-workflow`), `waitForSignal` (`wait-for-signal`) and `map` are run by the engine itself and need no
 * registration; `noop`, `transform`, `switch` and `http` are registered by `apps/server`
 * (an application embedding the engine registers its own executors under these names, if
 * it wants them). Each carries its `config` JSON Schema and a description in `options`.
 */
export const builtInNodeTypes: BuiltInNodeTypes = Object.freeze({
  noop: defineNodeType('noop', {
    description: 'Returns its input unchanged',
    config: NoopNodeConfigSchema,
  }),
  transform: defineNodeType('transform', {
    description: 'Reshapes its input: pick, then rename, then set (dotted paths)',
    config: TransformNodeConfigSchema,
  }),
  switch: defineNodeType('switch', {
    description: 'Runs the children listed for the value at a path of its input',
    config: SwitchNodeConfigSchema,
  }),
  http: defineNodeType('http', {
    description: 'Makes one HTTP request and returns its status, headers and body',
    config: HttpNodeConfigSchema,
  }),
  delay,
  subWorkflow: defineNodeType('sub-workflow', {
    description: "Runs another workflow as a child execution and returns the child's output",
    config: SubWorkflowNodeConfigSchema,
  }),
  waitForSignal: defineNodeType('wait-for-signal', {
    description: 'Waits for a named signal and returns its payload (run by the engine)',
    config: WaitForSignalNodeConfigSchema,
  }),
  map: defineNodeType('map', {
    description: 'Runs a workflow or a node type once per item of a list (run by the engine)',
    config: MapNodeConfigSchema,
  }),
});

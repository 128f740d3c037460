import {
  compileJsonSchema,
  DelayNodeConfigSchema,
  type JsonSchemaCheck,
  MapNodeConfigSchema,
  type NodeRegistry,
  type NodeTypeInfo,
  type NodeTypeOptions,
  type NodeTypeRegistration,
  nodeTypeInfo,
  type SchemaProblem,
  SubWorkflowNodeConfigSchema,
  WaitForSignalNodeConfigSchema,
} from '@spane/core';
import { DELAY_NODE, delayConfigProblems } from './delay-node.js';
import { MAP_NODE, mapConfigProblems } from './map-node.js';
import { WAIT_FOR_SIGNAL_NODE } from './signal-wait.js';
import { SUB_WORKFLOW_NODE, subWorkflowConfigProblems } from './sub-workflow-node.js';

interface BuiltIn {
  options: NodeTypeOptions & { config: Record<string, unknown> };
  /** What the config schema cannot say, checked once a config matches it. */
  semantics: (config: Record<string, unknown>) => SchemaProblem[];
}

const BUILT_INS: ReadonlyMap<string, BuiltIn> = new Map([
  [
    DELAY_NODE,
    {
      options: {
        description:
          'Waits for durationMs, or until a time, then passes its input on (durably, holding no worker slot)',
        config: DelayNodeConfigSchema,
      },
      semantics: delayConfigProblems,
    },
  ],
  [
    MAP_NODE,
    {
      options: {
        description:
          'Runs a workflow (or one node of a type) per item of a list in its input, at most `concurrency` at once; returns the results in item order',
        config: MapNodeConfigSchema,
      },
      semantics: mapConfigProblems,
    },
  ],
  [
    SUB_WORKFLOW_NODE,
    {
      options: {
        description:
          "Runs another workflow of the tenant as a child execution and returns the child's (mapped) output",
        config: SubWorkflowNodeConfigSchema,
      },
      semantics: subWorkflowConfigProblems,
    },
  ],
  [
    WAIT_FOR_SIGNAL_NODE,
    {
      options: {
        description:
          "Waits (durably, holding no worker slot) for engine.signal(executionId, name, payload) and returns the payload; on timeout fails, or returns { timedOut: true } with onTimeout 'continue'",
        config: WaitForSignalNodeConfigSchema,
      },
      semantics: () => [],
    },
  ],
]);

/** Node types the engine runs itself; a registry entry of the same name is never used. */
export const BUILT_IN_NODE_TYPES: ReadonlySet<string> = new Set(BUILT_INS.keys());

/** Whether nodes of `type` run by an executor registered in this process (not a built-in type). */
export function hasExecutor(registry: Pick<NodeRegistry, 'has'>, type: string): boolean {
  return !BUILT_IN_NODE_TYPES.has(type) && registry.has(type);
}

/**
 * The registration of a type whose nodes run by its executor in this process; undefined for
 * a built-in type or one not registered here.
 */
export function executorRegistration(
  registry: Pick<NodeRegistry, 'has' | 'getRegistration'>,
  type: string,
): NodeTypeRegistration | undefined {
  return hasExecutor(registry, type) ? registry.getRegistration(type) : undefined;
}

let checks: Map<string, JsonSchemaCheck> | undefined;

/**
 * The config check of a built-in node type (its schema, then what the schema cannot
 * say), or undefined for other types. Compiled on first use.
 */
export function builtInConfigCheck(type: string): JsonSchemaCheck | undefined {
  checks ??= new Map(
    [...BUILT_INS].map(([name, builtIn]) => [name, compileBuiltIn(name, builtIn)] as const),
  );
  return checks.get(type);
}

function compileBuiltIn(type: string, { options, semantics }: BuiltIn): JsonSchemaCheck {
  const schemaCheck = compileJsonSchema(options.config, {
    label: `config schema of node type '${type}'`,
    words: { root: 'config', key: 'option' },
  });
  return {
    schema: schemaCheck.schema,
    problems(value) {
      const problems = schemaCheck.problems(value);
      return problems.length > 0 ? problems : semantics(value as Record<string, unknown>);
    },
  };
}

/** The catalogue entries of the built-in node types. */
export function builtInNodeTypes(): NodeTypeInfo[] {
  return [...BUILT_INS].map(([type, { options }]) => nodeTypeInfo(type, options, true));
}

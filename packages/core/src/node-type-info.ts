import type { JsonSchema } from './json-schema-check.js';
import type { NodeTypeOptions } from './node-registry.js';
import type { RetryPolicy } from './workflow-schema.js';

/**
 * A node type as an engine offers it (`listNodeTypes`, `GET /api/node-types`): what it is,
 * the JSON Schemas of its `config`, input and output, and its limits. Plain JSON.
 */
export interface NodeTypeInfo {
  /** The name nodes use as their `type`. */
  type: string;
  /** True for the types the engine runs itself (`delay`, `sub-workflow`); false for registered executors. */
  builtIn: boolean;
  /** One sentence for people choosing a node type. */
  description?: string;
  /** JSON Schema of a node's `config`, checked at workflow registration. */
  config?: JsonSchema;
  /** JSON Schema of a run's input, checked before the executor runs. */
  input?: JsonSchema;
  /** JSON Schema of a successful run's output, checked after it. */
  output?: JsonSchema;
  /** At most `max` runs start per `durationMs`, across all workers. */
  rateLimit?: { max: number; durationMs: number };
  /** At most this many runs at once, across all workers. */
  concurrency?: number;
  /** Attempt timeout of nodes whose node and workflow `defaults` set none. */
  timeoutMs?: number;
  /** Default retry policy of nodes of this type. */
  retry?: RetryPolicy;
}

const FIELDS = [
  'description',
  'config',
  'input',
  'output',
  'rateLimit',
  'concurrency',
  'timeoutMs',
  'retry',
] as const;

/**
 * The catalogue entry of a node type registered with `options`: a plain JSON copy (TypeBox's
 * symbol keys and anything else JSON cannot hold are left out), so a caller may keep or
 * change it.
 */
export function nodeTypeInfo(
  type: string,
  options: Readonly<NodeTypeOptions>,
  builtIn: boolean,
): NodeTypeInfo {
  const info: Record<string, unknown> = { type, builtIn };
  for (const field of FIELDS) {
    const value = options[field];
    if (value !== undefined) info[field] = JSON.parse(JSON.stringify(value));
  }
  return info as unknown as NodeTypeInfo;
}

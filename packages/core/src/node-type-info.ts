import type { NodeTypeOptions } from './node-registry.js';

/**
 * A node type as an engine offers it (`listNodeTypes`, `GET /api/node-types`): what it is,
 * the JSON Schemas of its `config`, input and output, and its limits. Plain JSON.
 */
export interface NodeTypeInfo extends Omit<NodeTypeOptions, 'configProblems'> {
  /** The name nodes use as their `type`. */
  type: string;
  /** True for the types the engine runs itself (`delay`, `sub-workflow`); false for registered executors. */
  builtIn: boolean;
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
  'breaker',
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

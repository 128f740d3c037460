import { ID_PATTERN, type SpaneLimits } from './limits.js';
import { isObject, stringList } from './raw-definition.js';
import type { IssueList } from './validation-issue-list.js';
import type { GraphNode } from './workflow-graph.js';

/**
 * Ids that would collide with object prototype keys wherever ids key plain objects, and
 * `.` and `..`, which name another place wherever an id is a URL or file path segment
 * (`/api/workflows/..`).
 */
const RESERVED_IDS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '.',
  '..',
]);

/** A node well-formed enough for the graph checks, with its index in the definition. */
export interface CheckedNode extends GraphNode {
  /** Index of the node in the definition's `nodes`, for paths. */
  index: number;
  /** The raw `type` (the schema reports one that is not a string). */
  type?: unknown;
}

/** The nodes with an id, each id once (the first node that uses it). */
export interface CheckedNodes {
  /** In definition order. */
  nodes: CheckedNode[];
  /** Index in the definition of each id's node. */
  indexById: Map<string, number>;
}

/** Reports a reserved or too long workflow id. */
export function checkWorkflowId(id: unknown, limits: SpaneLimits, issues: IssueList): void {
  if (typeof id === 'string' && RESERVED_IDS.has(id)) {
    issues.error('/id', 'RESERVED_ID', `workflow id '${id}' is reserved`);
  }
  if (typeof id === 'string' && id.length > limits.maxIdLength) {
    issues.error(
      '/id',
      'ID_TOO_LONG',
      `workflow id is longer than ${limits.maxIdLength} characters`,
    );
  }
}

/**
 * Collects the nodes that have a string id, reporting ids too long, invalid, reserved or
 * used twice. Graph checks run on these, so that one call reports all.
 */
export function collectNodes(
  rawNodes: readonly unknown[],
  limits: SpaneLimits,
  issues: IssueList,
): CheckedNodes {
  const nodes: CheckedNode[] = [];
  const indexById = new Map<string, number>();
  rawNodes.forEach((raw: unknown, index) => {
    if (!isObject(raw) || typeof raw.id !== 'string') return;
    const id = raw.id;
    const path = `/nodes/${index}/id`;
    if (id.length > limits.maxIdLength) {
      issues.error(path, 'ID_TOO_LONG', `node id is longer than ${limits.maxIdLength} characters`);
    } else if (!ID_PATTERN.test(id)) {
      issues.error(path, 'INVALID_ID', `node id '${id}' may use only A-Z a-z 0-9 _ . -`);
    } else if (RESERVED_IDS.has(id)) {
      issues.error(path, 'RESERVED_ID', `node id '${id}' is reserved`);
    }
    if (indexById.has(id)) {
      issues.error(path, 'DUPLICATE_NODE_ID', `node id '${id}' is used more than once`);
      return;
    }
    indexById.set(id, index);
    nodes.push({
      id,
      index,
      inputs: stringList(raw.inputs),
      outputs: stringList(raw.outputs),
      type: raw.type,
    });
  });
  return { nodes, indexById };
}

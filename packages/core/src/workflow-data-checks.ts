import { MAX_JSON_DEPTH } from './limits.js';
import { isObject } from './raw-definition.js';
import { findUnstorable } from './storable-json.js';
import type { IssueList } from './validation-issue-list.js';

/**
 * Levels of a definition above its deepest free-form slot (definition → `triggers` →
 * trigger → `initialData`), so the whole-definition pass allows what each slot does.
 */
const SLOT_DEPTH = 3;

/**
 * Reports data in a definition that cannot be hashed, copied or stored as JSON unchanged
 * (a `BigInt`, a function, a symbol, a cycle, a throwing `toJSON`, U+0000, nesting deeper
 * than {@link MAX_JSON_DEPTH} levels), as `NOT_STORABLE` issues whose path points at it:
 * each node's `config` and `metadata`, the workflow's `metadata` and each schedule's
 * `initialData` (depth counted from the slot), then, when those are fine, the rest.
 * Without it, compiling such a definition would throw a raw `TypeError` or `RangeError`.
 */
export function checkStorableData(def: Record<string, unknown>, issues: IssueList): void {
  let found = false;
  const slot = (value: unknown, path: string, what: string) => {
    if (value === undefined) return;
    const problem = findUnstorable(value, MAX_JSON_DEPTH);
    if (!problem) return;
    found = true;
    const at = problem.path === '' ? '' : ` at ${problem.path}`;
    issues.error(
      `${path}${problem.path}`,
      'NOT_STORABLE',
      `${what} cannot be stored as JSON: ${problem.reason}${at}`,
    );
  };
  const nodes = Array.isArray(def.nodes) ? def.nodes : [];
  nodes.forEach((node: unknown, i) => {
    if (!isObject(node)) return;
    const name = typeof node.id === 'string' ? `node '${node.id}'` : `node ${i}`;
    slot(node.config, `/nodes/${i}/config`, `config of ${name}`);
    slot(node.metadata, `/nodes/${i}/metadata`, `metadata of ${name}`);
  });
  slot(def.metadata, '/metadata', 'workflow metadata');
  const triggers = Array.isArray(def.triggers) ? def.triggers : [];
  triggers.forEach((trigger: unknown, i) => {
    if (isObject(trigger)) {
      slot(trigger.initialData, `/triggers/${i}/initialData`, `initialData of trigger ${i}`);
    }
  });
  if (found) return;
  // Everything else is the schema's fixed shape; this finds U+0000 in a name, say.
  const problem = findUnstorable(def, MAX_JSON_DEPTH + SLOT_DEPTH);
  if (problem) {
    issues.error(
      problem.path,
      'NOT_STORABLE',
      `the definition cannot be stored as JSON: ${problem.reason}`,
    );
  }
}

import { TypeCompiler } from '@sinclair/typebox/compiler';
import { type ValidationIssue, WorkflowValidationError } from './errors.js';
import { DEFAULT_LIMITS, ID_PATTERN, type SpaneLimits } from './limits.js';
import { buildGraph, findCycles, type GraphNode, reachableFrom } from './workflow-graph.js';
import { type WorkflowDefinition, WorkflowDefinitionSchema } from './workflow-schema.js';

const checkSchema = TypeCompiler.Compile(WorkflowDefinitionSchema);

/** Options of {@link validateWorkflow}. */
export interface ValidateWorkflowOptions {
  /** Limits to apply, merged over the defaults. @defaultValue {@link DEFAULT_LIMITS} */
  limits?: Partial<SpaneLimits>;
  /** When given, node types it rejects are reported as `UNKNOWN_NODE_TYPE`. @defaultValue every type is accepted */
  isNodeTypeKnown?: (type: string) => boolean;
}

/** What {@link validateWorkflow} found. `valid` is false when any issue is an error. */
export interface WorkflowValidationResult {
  /** False when any issue is an error (warnings do not count). */
  valid: boolean;
  /** Every issue found, errors and warnings, with JSON-pointer paths. */
  issues: ValidationIssue[];
}

const MAX_SCHEMA_ISSUES = 50;
/** Ids that would collide with object prototype keys wherever node ids key plain objects. */
const RESERVED_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const CRON_FIELD = /^[0-9A-Za-z*?,/#LW-]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

/**
 * Checks a workflow definition and returns every problem with a JSON-pointer path:
 * schema errors, limits, invalid or duplicate ids, unknown references, `inputs` and
 * `outputs` that disagree, cycles (with the cycle's path), a missing or non-root
 * `entryNodeId`, invalid cron expressions and time zones, unknown node types (when
 * `isNodeTypeKnown` is given); and, as warnings, nodes unreachable from `entryNodeId`.
 * Never throws.
 */
export function validateWorkflow(
  def: unknown,
  options: ValidateWorkflowOptions = {},
): WorkflowValidationResult {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const issues: ValidationIssue[] = [];
  const error = (path: string, code: string, message: string): void => {
    issues.push({ path, code, message, severity: 'error' });
  };

  if (!isObject(def)) {
    error('', 'SCHEMA', 'a workflow definition must be an object');
    return { valid: false, issues };
  }

  let schemaIssues = 0;
  for (const e of checkSchema.Errors(def)) {
    if (schemaIssues++ >= MAX_SCHEMA_ISSUES) break;
    error(e.path, 'SCHEMA', e.message);
  }

  if (typeof def.id === 'string' && RESERVED_IDS.has(def.id)) {
    error('/id', 'RESERVED_ID', `workflow id '${def.id}' is reserved`);
  }
  if (typeof def.id === 'string' && def.id.length > limits.maxIdLength) {
    error('/id', 'ID_TOO_LONG', `workflow id is longer than ${limits.maxIdLength} characters`);
  }

  const rawNodes = Array.isArray(def.nodes) ? def.nodes : [];
  if (rawNodes.length > limits.maxNodes) {
    error('/nodes', 'TOO_MANY_NODES', `${rawNodes.length} nodes; the limit is ${limits.maxNodes}`);
  }

  // Graph checks run on whatever nodes are well-formed enough, so one call reports all.
  const nodes: (GraphNode & { index: number; type?: unknown })[] = [];
  const indexById = new Map<string, number>();
  rawNodes.forEach((raw: unknown, index) => {
    if (!isObject(raw) || typeof raw.id !== 'string') return;
    const id = raw.id;
    if (id.length > limits.maxIdLength) {
      error(
        `/nodes/${index}/id`,
        'ID_TOO_LONG',
        `node id is longer than ${limits.maxIdLength} characters`,
      );
    } else if (!ID_PATTERN.test(id)) {
      error(`/nodes/${index}/id`, 'INVALID_ID', `node id '${id}' may use only A-Z a-z 0-9 _ . -`);
    } else if (RESERVED_IDS.has(id)) {
      error(`/nodes/${index}/id`, 'RESERVED_ID', `node id '${id}' is reserved`);
    }
    if (indexById.has(id)) {
      error(`/nodes/${index}/id`, 'DUPLICATE_NODE_ID', `node id '${id}' is used more than once`);
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

  for (const node of nodes) {
    for (const key of ['inputs', 'outputs'] as const) {
      // The raw list, so that `j` is the index in the definition (non-strings are SCHEMA issues).
      const list = (rawNodes[node.index] as Record<string, unknown>)[key];
      if (!Array.isArray(list)) continue;
      const seen = new Set<string>();
      list.forEach((ref: unknown, j) => {
        if (typeof ref !== 'string') return;
        const path = `/nodes/${node.index}/${key}/${j}`;
        if (ref === node.id) error(path, 'CYCLE', `node '${node.id}' lists itself in its ${key}`);
        else if (!indexById.has(ref))
          error(path, 'UNKNOWN_NODE_REFERENCE', `unknown node '${ref}'`);
        else if (seen.has(ref)) error(path, 'DUPLICATE_REFERENCE', `'${ref}' is listed twice`);
        seen.add(ref);
      });
    }
  }

  // inputs/outputs may each be omitted, but when both sides declare a list they must agree.
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const node of nodes) {
    for (const child of node.outputs ?? []) {
      const c = byId.get(child);
      if (c?.inputs && c.id !== node.id && !c.inputs.includes(node.id)) {
        error(
          `/nodes/${c.index}/inputs`,
          'INPUTS_OUTPUTS_DISAGREE',
          `'${node.id}' lists '${c.id}' in its outputs, but '${c.id}' does not list '${node.id}' in its inputs`,
        );
      }
    }
    for (const parent of node.inputs ?? []) {
      const p = byId.get(parent);
      if (p?.outputs && p.id !== node.id && !p.outputs.includes(node.id)) {
        error(
          `/nodes/${p.index}/outputs`,
          'INPUTS_OUTPUTS_DISAGREE',
          `'${node.id}' lists '${p.id}' in its inputs, but '${p.id}' does not list '${node.id}' in its outputs`,
        );
      }
    }
  }

  const graph = buildGraph(nodes);
  for (const cycle of findCycles(graph)) {
    if (cycle.length > 2) error('/nodes', 'CYCLE', `cycle: ${cycle.join(' -> ')}`);
  }

  if (def.entryNodeId !== undefined) {
    const entry = def.entryNodeId;
    if (typeof entry !== 'string' || !indexById.has(entry)) {
      error(
        '/entryNodeId',
        'ENTRY_NODE_NOT_FOUND',
        typeof entry === 'string'
          ? `entryNodeId '${entry}' is not a node of this workflow`
          : 'entryNodeId must be the id of a node of this workflow',
      );
    } else if ((graph.parents.get(entry) ?? []).length > 0) {
      error('/entryNodeId', 'ENTRY_NODE_HAS_INPUTS', `entry node '${entry}' must have no inputs`);
    } else {
      const reachable = reachableFrom(graph, [entry]);
      for (const node of nodes) {
        if (!reachable.has(node.id)) {
          issues.push({
            path: `/nodes/${node.index}`,
            code: 'UNREACHABLE_NODE',
            message: `node '${node.id}' is not reachable from entry node '${entry}' and will be skipped`,
            severity: 'warning',
          });
        }
      }
    }
  }

  if (options.isNodeTypeKnown) {
    for (const node of nodes) {
      if (typeof node.type === 'string' && !options.isNodeTypeKnown(node.type)) {
        error(
          `/nodes/${node.index}/type`,
          'UNKNOWN_NODE_TYPE',
          `node type '${node.type}' is not registered`,
        );
      }
    }
  }

  validateTriggers(def.triggers, error);

  return { valid: !issues.some((i) => i.severity === 'error'), issues };
}

function validateTriggers(
  triggers: unknown,
  error: (path: string, code: string, message: string) => void,
): void {
  if (!Array.isArray(triggers)) return;
  const webhooks = new Set<string>();
  triggers.forEach((t: unknown, i) => {
    if (!isObject(t)) return;
    if (t.type === 'schedule') {
      if (typeof t.cron === 'string') {
        const fields = t.cron.trim().split(/\s+/);
        if (fields.length < 5 || fields.length > 6 || !fields.every((f) => CRON_FIELD.test(f))) {
          error(
            `/triggers/${i}/cron`,
            'INVALID_CRON',
            `'${t.cron}' is not a cron expression of 5 or 6 fields`,
          );
        }
      }
      if (typeof t.timezone === 'string' && !isTimeZone(t.timezone)) {
        error(
          `/triggers/${i}/timezone`,
          'INVALID_TIMEZONE',
          `'${t.timezone}' is not a known IANA time zone`,
        );
      }
    } else if (t.type === 'webhook' && typeof t.path === 'string') {
      const key = `${typeof t.method === 'string' ? t.method : 'POST'} ${t.path.replace(/^\/+|\/+$/g, '')}`;
      if (webhooks.has(key))
        error(`/triggers/${i}/path`, 'DUPLICATE_WEBHOOK', `webhook '${key}' is declared twice`);
      webhooks.add(key);
    }
  });
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Like {@link validateWorkflow}, but returns the definition typed, or throws.
 * @throws WorkflowValidationError carrying every issue when any is an error.
 */
export function assertValidWorkflow(
  def: unknown,
  options?: ValidateWorkflowOptions,
): WorkflowDefinition {
  const result = validateWorkflow(def, options);
  if (!result.valid) throw new WorkflowValidationError(result.issues);
  return def as WorkflowDefinition;
}

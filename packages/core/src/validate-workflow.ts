import { TypeCompiler } from '@sinclair/typebox/compiler';
import { type ValidationIssue, WorkflowValidationError } from './errors.js';
import type { JsonSchemaCheck } from './json-schema-check.js';
import { DEFAULT_LIMITS, type SpaneLimits } from './limits.js';
import { isObject } from './raw-definition.js';
import { IssueList } from './validation-issue-list.js';
import { checkNodeConfigs } from './workflow-config-checks.js';
import { checkStorableData } from './workflow-data-checks.js';
import {
  checkCycles,
  checkEntryNode,
  checkInputsOutputsAgree,
  checkReferences,
} from './workflow-edge-checks.js';
import { buildGraph } from './workflow-graph.js';
import { type CheckedNode, checkWorkflowId, collectNodes } from './workflow-id-checks.js';
import { type WorkflowDefinition, WorkflowDefinitionSchema } from './workflow-schema.js';
import { checkSecretRefs, withoutMalformedRefs } from './workflow-secret-checks.js';
import { checkTriggers } from './workflow-trigger-checks.js';

const checkSchema = TypeCompiler.Compile(WorkflowDefinitionSchema);

/** Options of {@link validateWorkflow}. */
export interface ValidateWorkflowOptions {
  /** Limits to apply, merged over the defaults. @defaultValue {@link DEFAULT_LIMITS} */
  limits?: Partial<SpaneLimits>;
  /** When given, node types it rejects are reported as `UNKNOWN_NODE_TYPE`. @defaultValue every type is accepted */
  isNodeTypeKnown?: (type: string) => boolean;
  /**
   * When given, the config schema check of a node type (undefined: any config): every way a
   * node's `config` fails it is reported as `INVALID_NODE_CONFIG` at
   * `/nodes/<i>/config<pointer>`. A node's absent config is checked as `{}`.
   * @defaultValue configs are not checked
   */
  nodeConfigCheck?: (type: string) => JsonSchemaCheck | undefined;
  /**
   * False when no secret vault is configured: every secret reference
   * (`{ "$secret": "name" }` in a node's config or as a webhook's `secret`) is then
   * reported as `SECRETS_DISABLED`. @defaultValue true
   */
  secretsAvailable?: boolean;
}

/** What {@link validateWorkflow} found. `valid` is false when any issue is an error. */
export interface WorkflowValidationResult {
  /** False when any issue is an error (warnings do not count). */
  valid: boolean;
  /** Every issue found, errors and warnings, with JSON-pointer paths. */
  issues: ValidationIssue[];
}

const MAX_SCHEMA_ISSUES = 50;

/**
 * Checks a workflow definition and returns every problem with a JSON-pointer path:
 * schema errors, limits, invalid or duplicate ids, unknown references, `inputs` and
 * `outputs` that disagree, cycles (with the cycle's path), a missing or non-root
 * `entryNodeId`, invalid cron expressions and time zones, unknown node types (when
 * `isNodeTypeKnown` is given), configs that fail their type's schema (when
 * `nodeConfigCheck` is given), malformed secret references (`INVALID_SECRET_REF`) and —
 * when `secretsAvailable` is false — any reference (`SECRETS_DISABLED`), data that cannot be stored as JSON (`NOT_STORABLE`: a
 * `BigInt`, a cycle, U+0000, a `config` nested deeper than `MAX_JSON_DEPTH`, …); and, as warnings, nodes unreachable from `entryNodeId`.
 * Never throws.
 */
export function validateWorkflow(
  def: unknown,
  options: ValidateWorkflowOptions = {},
): WorkflowValidationResult {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const issues = new IssueList();
  if (!isObject(def)) {
    issues.error('', 'SCHEMA', 'a workflow definition must be an object');
    return { valid: false, issues: issues.issues };
  }
  // Malformed secret references first: their schema errors would only repeat them.
  const badRefs = checkSecretRefs(def, options.secretsAvailable ?? true, issues);
  checkAgainstSchema(withoutMalformedRefs(def, badRefs), issues);
  checkWorkflowId(def.id, limits, issues);
  const rawNodes: unknown[] = Array.isArray(def.nodes) ? def.nodes : [];
  if (rawNodes.length > limits.maxNodes) {
    issues.error(
      '/nodes',
      'TOO_MANY_NODES',
      `${rawNodes.length} nodes; the limit is ${limits.maxNodes}`,
    );
  }
  // Graph checks run on whatever nodes are well-formed enough, so one call reports all.
  const checked = collectNodes(rawNodes, limits, issues);
  checkReferences(rawNodes, checked, issues);
  checkInputsOutputsAgree(checked.nodes, issues);
  const graph = buildGraph(checked.nodes);
  checkCycles(graph, issues);
  checkEntryNode(def.entryNodeId, graph, checked, issues);
  if (options.isNodeTypeKnown) checkNodeTypes(checked.nodes, options.isNodeTypeKnown, issues);
  if (options.nodeConfigCheck) checkNodeConfigs(rawNodes, options.nodeConfigCheck, issues);
  checkTriggers(def.triggers, issues);
  checkStorableData(def, issues);
  return { valid: issues.valid, issues: issues.issues };
}

/** Reports the schema's errors, the first {@link MAX_SCHEMA_ISSUES} of them. */
function checkAgainstSchema(def: Record<string, unknown>, issues: IssueList): void {
  let schemaIssues = 0;
  for (const e of checkSchema.Errors(def)) {
    if (schemaIssues++ >= MAX_SCHEMA_ISSUES) break;
    issues.error(e.path, 'SCHEMA', e.message);
  }
}

/** Reports node types that `isNodeTypeKnown` rejects. */
function checkNodeTypes(
  nodes: readonly CheckedNode[],
  isNodeTypeKnown: (type: string) => boolean,
  issues: IssueList,
): void {
  for (const node of nodes) {
    if (typeof node.type === 'string' && !isNodeTypeKnown(node.type)) {
      issues.error(
        `/nodes/${node.index}/type`,
        'UNKNOWN_NODE_TYPE',
        `node type '${node.type}' is not registered`,
      );
    }
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

/**
 * The shapes of the SPANE HTTP API that the CLI reads, as `@spane/http` serves them
 * (its OpenAPI document at `/docs/json` is the full reference). Only the fields the CLI
 * uses are spelled out; the CLI has no runtime dependency on the server's packages.
 */

/** Status of an execution; `completed`, `failed` and `cancelled` end it. */
export type ExecutionStatus =
  | 'pending'
  | 'running'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** One node of a workflow definition, as far as the CLI reads it. */
export interface WorkflowNode {
  /** Node id, unique in the workflow. */
  id: string;
  /** Node type (an executor registered on the server). */
  type: string;
  /** Parent node ids. */
  inputs?: string[];
  /** Child node ids (an edge may be listed on either side). */
  outputs?: string[];
}

/** A workflow definition, as far as the CLI reads it (the rest is passed through). */
export interface WorkflowDefinition {
  /** Workflow id. */
  id: string;
  /** Name for people. */
  name: string;
  /** The nodes of the DAG. */
  nodes: WorkflowNode[];
  /** Any other field of the definition. */
  [field: string]: unknown;
}

/** A saved version of a workflow (`GET /api/workflows/:id`). */
export interface StoredWorkflow {
  /** Owner tenant. */
  tenantId: string;
  /** Workflow id. */
  workflowId: string;
  /** Content hash of the definition. */
  version: string;
  /** The definition of this version. */
  definition: WorkflowDefinition;
  /** When this version was saved (ISO 8601). */
  createdAt: string;
}

/** What an execution records about one node. */
export interface NodeState {
  /** `pending`, `queued`, `running`, `waiting`, `delayed`, `completed`, `failed`, `skipped` or `cancelled`. */
  status: string;
  /** The node's output, once completed. */
  data?: unknown;
  /** Why the node failed. */
  error?: string;
  /** Attempts made so far. */
  attempts: number;
  /** With `status: 'failed'`: the workflow went on past the failure. */
  continuedOnFail?: boolean;
}

/** The state of one execution (`GET /api/executions/:id`). */
export interface ExecutionState {
  /** Execution id. */
  executionId: string;
  /** Workflow id. */
  workflowId: string;
  /** Version (content hash) of the workflow that runs. */
  workflowVersion: string;
  /** Owner tenant. */
  tenantId: string;
  /** Where the execution is in its lifecycle. */
  status: ExecutionStatus;
  /** Every node the execution has recorded, by id. */
  nodeResults: Record<string, NodeState>;
  /** When the execution was created (ISO 8601). */
  createdAt: string;
  /** When its first node started. */
  startedAt?: string;
  /** When it ended. */
  completedAt?: string;
  /** Why it failed or was cancelled. */
  error?: string;
}

/** One unfinished node and why it is not running (`GET /api/executions/:id/explain`). */
export interface NodeExplanation {
  /** Node id. */
  nodeId: string;
  /** Node type. */
  nodeType: string;
  /** The node's status: `pending`, `queued`, `running`, `delayed` or `waiting`. */
  status: string;
  /** The typed reason: `kind` (`queued`, `waiting-for-parents`, `retrying`, …) and its fields. */
  reason: { kind: string; [field: string]: unknown };
  /** The reason as a sentence. */
  message: string;
}

/** Why an execution's nodes are not running (`GET /api/executions/:id/explain`). */
export interface ExecutionExplanation {
  /** Execution id. */
  executionId: string;
  /** Workflow id. */
  workflowId: string;
  /** Where the execution is in its lifecycle. */
  status: ExecutionStatus;
  /** When it was explained (ISO 8601). */
  explainedAt: string;
  /** The execution as a sentence. */
  message: string;
  /** Every node not settled; none once the execution ended. */
  nodes: NodeExplanation[];
}

/** A summary of an execution as listed by `GET /api/executions` (no node data). */
export type ExecutionSummary = Omit<ExecutionState, 'nodeResults'>;

/** A node that failed for good (`GET /api/dlq`). */
export interface DLQItem {
  /** Id of the dead-letter item (what `retry-dlq` takes). */
  id: string;
  /** Workflow id. */
  workflowId: string;
  /** Execution id. */
  executionId: string;
  /** The node that failed. */
  nodeId: string;
  /** Its last error. */
  error: string;
  /** Attempts it made. */
  attempts: number;
  /** When it failed for good (ISO 8601). */
  failedAt: string;
}

/** A secret as the API shows it (`/api/secrets`): never its value. */
export interface SecretInfo {
  /** The secret's name, unique per tenant. */
  name: string;
  /** When the name was first saved (ISO 8601). */
  createdAt: string;
  /** When the value was last saved (ISO 8601). */
  updatedAt: string;
  /** Version of the tenant's data key that encrypts the value. */
  dataKeyVersion: number;
}

/** One issue of a rejected workflow definition (`error.details.issues`). */
export interface ValidationIssue {
  /** JSON pointer into the definition (`''` for the whole of it). */
  path: string;
  /** What is wrong. */
  message: string;
  /** Stable code, e.g. `CYCLE`. */
  code?: string;
  /** A `warning` does not make a definition invalid. */
  severity?: 'error' | 'warning';
}

/** True for the statuses that end an execution. */
export function isTerminalStatus(status: string): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** What an API key may do (`admin` implies the others). */
export type ApiKeyScope = 'read' | 'execute' | 'admin';

/** An API key as `GET /api/keys` lists it: never the key nor its hash. */
export interface ApiKeyInfo {
  /** Public id (what `keys revoke` takes). */
  id: string;
  /** The tenant the key acts in. */
  tenantId: string;
  /** What it may do. */
  scopes: ApiKeyScope[];
  /** The first 12 characters of the key. */
  prefix: string;
  /** Its label, when given. */
  name?: string;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** When it expires (ISO 8601); absent for a key that does not. */
  expiresAt?: string;
  /** When it was revoked (ISO 8601). */
  revokedAt?: string;
  /** True once `expiresAt` has passed. */
  expired: boolean;
}

/** A key just created (`POST /api/keys`): the only answer that holds `key`. */
export interface CreatedApiKey extends Omit<ApiKeyInfo, 'expired' | 'revokedAt'> {
  /** The key itself. */
  key: string;
}

/** What `POST /api/keys` takes. */
export interface NewApiKey {
  /** What the key may do. */
  scopes: ApiKeyScope[];
  /** A label. */
  name?: string;
  /** Lifetime from now, e.g. `30d`, `12h`. */
  expiresIn?: string;
  /** Another tenant than the caller's (configured admin keys only). */
  tenant?: string;
}

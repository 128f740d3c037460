import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

/**
 * The tables of `@spane/store-postgres`. They carry no schema qualifier: the store runs its
 * migrations with `search_path` set to the configured schema, so one set of migrations
 * serves any schema. Change this file, then run `pnpm db:generate` to add a migration
 * (the `drizzle/` folder is append-only).
 */

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Text compared and ordered byte by byte (collation `C`) whatever the database's default,
 * so a listing by name has one order on every server (and the one JavaScript gives ASCII).
 */
const byteOrderedText = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

const EXECUTION_STATUSES = `'pending', 'running', 'paused', 'completed', 'failed', 'cancelled'`;
const NODE_STATUSES = `'pending', 'queued', 'running', 'waiting', 'delayed', 'completed', 'failed', 'skipped', 'cancelled'`;
const SIGNAL_KINDS = `'signal', 'timeout'`;

/** Every saved version of every workflow definition. */
export const workflows = pgTable(
  'workflows',
  {
    tenantId: text('tenant_id').notNull(),
    workflowId: text('workflow_id').notNull(),
    /** Content hash of the definition. */
    version: text('version').notNull(),
    definition: jsonb('definition').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    /** Save order, for "oldest first" listings. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.workflowId, t.version] })],
);

/** The current version of each workflow; `current_version` is null once deleted. */
export const workflowHeads = pgTable(
  'workflow_heads',
  {
    tenantId: text('tenant_id').notNull(),
    workflowId: text('workflow_id').notNull(),
    currentVersion: text('current_version'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.workflowId] })],
);

/** One row per execution; its node states live in {@link nodeStates}. */
export const executions = pgTable(
  'executions',
  {
    executionId: text('execution_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    workflowId: text('workflow_id').notNull(),
    workflowVersion: text('workflow_version').notNull(),
    status: text('status').notNull(),
    /** SQL NULL when absent; JSON `null` is stored as `'null'::jsonb`. */
    initialData: jsonb('initial_data'),
    createdAt: timestamptz('created_at').notNull(),
    startedAt: timestamptz('started_at'),
    completedAt: timestamptz('completed_at'),
    parentExecutionId: text('parent_execution_id'),
    parentNodeId: text('parent_node_id'),
    depth: integer('depth').notNull().default(0),
    priority: integer('priority'),
    idempotencyKey: text('idempotency_key'),
    metadata: jsonb('metadata').notNull().default(sql`'{}'::jsonb`),
    error: text('error'),
    /** Optimistic-lock counter. */
    version: integer('version').notNull().default(0),
    /** Nodes still to settle successfully (see `applyNodeOutcome`). */
    remaining: integer('remaining').notNull(),
    /** Creation order: newest-first listings and their cursors. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
  },
  (t) => [
    unique('executions_idempotency_key_unique').on(t.tenantId, t.idempotencyKey),
    unique('executions_seq_unique').on(t.seq),
    index('executions_list_idx').on(t.tenantId, t.workflowId, t.status, t.seq),
    index('executions_tenant_seq_idx').on(t.tenantId, t.seq),
    index('executions_parent_idx')
      .on(t.parentExecutionId)
      .where(sql`${t.parentExecutionId} IS NOT NULL`),
    index('executions_active_idx').on(t.seq).where(sql`${t.status} IN ('pending', 'running')`),
    index('executions_retention_idx')
      .on(t.completedAt)
      .where(sql`${t.status} IN ('completed', 'failed', 'cancelled')`),
    check('executions_status_check', sql.raw(`"status" IN (${EXECUTION_STATUSES})`)),
  ],
);

/**
 * One row per node of each execution, so recording a node never rewrites the execution.
 * No foreign key to `executions`: the store writes and deletes both together, and
 * drizzle-kit would qualify the reference with `"public"`, tying the migration to one schema.
 */
export const nodeStates = pgTable(
  'node_states',
  {
    executionId: text('execution_id').notNull(),
    nodeId: text('node_id').notNull(),
    /** Position in the plan's `nodeIds`, so node results come back in definition order. */
    ordinal: integer('ordinal').notNull(),
    status: text('status').notNull(),
    /** SQL NULL when absent; JSON `null` is stored as `'null'::jsonb`. */
    data: jsonb('data'),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    startedAt: timestamptz('started_at'),
    finishedAt: timestamptz('finished_at'),
    skipReason: text('skip_reason'),
    nextNodes: jsonb('next_nodes'),
    continuedOnFail: boolean('continued_on_fail').notNull().default(false),
    /**
     * Parents not yet settled for readiness (completed, skipped, or failed with
     * `continueOnFail`). When a completion that fires every edge brings it to 0 the node is
     * ready, which lets `completeNode` decide without reading a join's other parents.
     */
    openParents: integer('open_parents').notNull().default(0),
    /**
     * The token of the run holding the node (fencing, see `ExecutionStore.beginNodeRun`):
     * set only while it is `running`, `delayed` or `waiting`; NULL when no run holds it.
     * Store-internal, never returned.
     */
    runToken: text('run_token'),
  },
  (t) => [
    primaryKey({ columns: [t.executionId, t.nodeId] }),
    check('node_states_status_check', sql.raw(`"status" IN (${NODE_STATUSES})`)),
  ],
);

/** Log lines; `id` keeps the append order. */
export const logs = pgTable(
  'logs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    executionId: text('execution_id').notNull(),
    nodeId: text('node_id'),
    level: text('level').notNull(),
    message: text('message').notNull(),
    meta: jsonb('meta'),
    timestamp: timestamptz('timestamp').notNull(),
  },
  (t) => [index('logs_execution_idx').on(t.executionId, t.id)],
);

/** Trace spans, one per node attempt; replaced by `span_id`. */
export const spans = pgTable(
  'spans',
  {
    spanId: text('span_id').primaryKey(),
    executionId: text('execution_id').notNull(),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type'),
    attempt: integer('attempt').notNull(),
    startedAt: timestamptz('started_at').notNull(),
    finishedAt: timestamptz('finished_at'),
    status: text('status').notNull(),
    error: text('error'),
    /** First-insert order, to break ties of `started_at`. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
  },
  (t) => [index('spans_execution_idx').on(t.executionId, t.startedAt)],
);

/** Dead-letter items; `seq` orders them newest first. */
export const dlq = pgTable(
  'dlq',
  {
    id: text('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    tenantId: text('tenant_id').notNull(),
    workflowId: text('workflow_id').notNull(),
    executionId: text('execution_id').notNull(),
    nodeId: text('node_id').notNull(),
    /** SQL NULL when absent; JSON `null` is stored as `'null'::jsonb`. */
    inputData: jsonb('input_data'),
    error: text('error').notNull(),
    stack: text('stack'),
    attempts: integer('attempts').notNull(),
    failedAt: timestamptz('failed_at').notNull(),
  },
  (t) => [index('dlq_tenant_seq_idx').on(t.tenantId, t.seq)],
);

/**
 * A tenant's data keys (see `SecretVault`), each wrapped by a master key: the store never
 * holds a key in clear. Rotation re-wraps a row in place (compare-and-set on
 * `master_key_id`).
 */
export const secretDataKeys = pgTable(
  'secret_data_keys',
  {
    tenantId: text('tenant_id').notNull(),
    version: integer('version').notNull(),
    masterKeyId: text('master_key_id').notNull(),
    /** base64 of IV ‖ GCM tag ‖ the encrypted key. */
    wrappedKey: text('wrapped_key').notNull(),
    createdAt: timestamptz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] })],
);

/** Encrypted secrets, one per tenant and name: ciphertexts only, never a value. */
export const secrets = pgTable(
  'secrets',
  {
    tenantId: text('tenant_id').notNull(),
    /** Byte-ordered, so the primary key serves listings by name. */
    name: byteOrderedText('name').notNull(),
    /** Version of the tenant's data key that encrypted the value. */
    dataKeyVersion: integer('data_key_version').notNull(),
    /** base64 of IV ‖ GCM tag ‖ ciphertext. */
    ciphertext: text('ciphertext').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/** API keys created through the API: a SHA-256 hash of each key, never the key. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    scopes: text('scopes').array().notNull(),
    /** Lower-case hex SHA-256 of the key; unique across all keys. */
    hash: text('hash').notNull(),
    prefix: text('prefix').notNull(),
    name: text('name'),
    expiresAt: timestamptz('expires_at'),
    createdAt: timestamptz('created_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
    /** Creation order, for newest-first listings. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
  },
  (t) => [
    unique('api_keys_hash_unique').on(t.hash),
    index('api_keys_tenant_seq_idx').on(t.tenantId, t.seq),
  ],
);

/**
 * Signals sent to executions (`ExecutionStore.recordSignal`): the first one of each name per
 * execution, kept by the primary key (insert if absent). No foreign key to `executions`
 * (see {@link nodeStates}): `purgeExecutions` deletes them with their execution, and
 * `recordSignal` holds a `FOR KEY SHARE` lock on the execution row while it inserts, so a
 * purge never leaves one behind.
 */
export const executionSignals = pgTable(
  'execution_signals',
  {
    executionId: text('execution_id').notNull(),
    name: text('name').notNull(),
    /** `signal` (sent by a caller) or `timeout` (the wait ended first). */
    kind: text('kind').notNull(),
    /** The payload; JSON `null` (a timeout's, or a signal without one) is `'null'::jsonb`. */
    payload: jsonb('payload').notNull(),
    receivedAt: timestamptz('received_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.executionId, t.name] }),
    check('execution_signals_kind_check', sql.raw(`"kind" IN (${SIGNAL_KINDS})`)),
  ],
);

import type { WorkflowPlan } from '@spane/core';
import {
  type ActiveNodePage,
  type ApiKeyRecordStore,
  type BeginNodeRunResult,
  type CompleteNodeOptions,
  type CompleteNodeResult,
  type CreateExecutionInput,
  type CreateExecutionResult,
  type DLQFilter,
  type DLQItem,
  type DLQPage,
  type ExecutionFilter,
  type ExecutionPage,
  type ExecutionSignal,
  type ExecutionState,
  type ExecutionStatus,
  type ExecutionStore,
  type ExecutionSummary,
  InvalidArgumentError,
  type LogEntry,
  type NewDLQItem,
  type NewExecutionSignal,
  type NodeOutcome,
  type NodeTelemetry,
  type RecordSignalResult,
  type SecretStore,
  type SetStatusOptions,
  type Span,
  type StoreCapabilities,
  type StoredWorkflow,
  type TenantScope,
} from '@spane/core/store';
import pg from 'pg';
import { PostgresApiKeys } from './api-key-records.js';
import { Database } from './db.js';
import * as dlq from './dead-letter-queue.js';
import { createExecution } from './execution-creation.js';
import { purgeExecutions } from './execution-purge.js';
import * as reads from './execution-reads.js';
import * as signals from './execution-signals.js';
import * as updates from './execution-updates.js';
import { type HotStatements, hotStatements } from './hot-statements.js';
import * as telemetry from './logs-and-spans.js';
import { applyMigrations } from './migrate.js';
import { completeNode } from './node-completion.js';
import { beginNodeRun } from './node-run-begin.js';
import { setNodeStatus } from './node-status.js';
import { PostgresSecrets } from './secret-records.js';
import { createBatchers, type StoreBatchers } from './store-batchers.js';
import { qualifiedTables, type Tables } from './tables.js';
import * as workflows from './workflow-definitions.js';

/** Options of {@link PostgresExecutionStore}. */
export interface PostgresExecutionStoreOptions {
  /**
   * Where to connect when no `pool` is given (the store then creates and owns a pool).
   * @defaultValue `process.env.DATABASE_URL`, else pg's `PG*` environment variables
   */
  connectionString?: string;
  /**
   * A pool to use instead of creating one. The store never closes it. Its connections need
   * no particular `search_path`: the store qualifies every table with `schema`. For the
   * speed of a pool the store creates, give its connections
   * `options: '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off'` (see the
   * package README).
   */
  pool?: pg.Pool;
  /**
   * The PostgreSQL schema holding the tables; `migrate()` creates it when missing.
   * Letters, digits, `_` and `$`, not starting with a digit.
   * @defaultValue 'public'
   */
  schema?: string;
  /**
   * Settings of the pool the store creates (ignored with `pool`). Its `options` (server
   * settings, `-c name=value …`; else the `PGOPTIONS` environment variable) are kept, with
   * the store's own settings after them (`search_path`, `plan_cache_mode`,
   * `enable_seqscan`: see the package README). @defaultValue `{ max: 10 }`
   */
  poolConfig?: Omit<pg.PoolConfig, 'connectionString'>;
  /**
   * How often an operation that failed on a lost connection is re-run on a new one
   * (reads always; writes when no commit was in flight). @defaultValue 3
   */
  retries?: number;
  /**
   * Called with errors of idle or lent connections (a server restart, a terminated
   * backend). The store recovers from them by itself. @defaultValue ignore
   */
  onConnectionError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * The `options` of the connections of a pool the store creates: the caller's settings
 * (`-c name=value …`), then the store's — its schema on the `search_path`, generic plans,
 * index paths preferred (see the constructor).
 */
export function connectionOptions(given: string | undefined, schema: string): string {
  const own = `-c search_path="${schema}" -c plan_cache_mode=force_generic_plan -c enable_seqscan=off`;
  const trimmed = given?.trim() ?? '';
  return trimmed === '' ? own : `${trimmed} ${own}`;
}

/** What the store's operations share; each takes the part it needs (see their contexts). */
interface StoreContext extends StoreBatchers {
  db: Database;
  tables: Tables;
  statements: HotStatements;
}

/** What this store can do beyond the required contract. */
const CAPABILITIES: StoreCapabilities = Object.freeze({
  startsNodes: true,
  telemetryWithOutcome: true,
});

/**
 * An {@link ExecutionStore} on PostgreSQL: durable, shared by any number of processes.
 *
 * One row per execution and one per node (`node_states`), so recording a node touches
 * only the rows the readiness rules need. Every operation is one transaction; the
 * operations that decide on the execution (`completeNode`, status changes, DLQ retry)
 * lock the execution row first (`SELECT … FOR NO KEY UPDATE`): that row is the
 * serialization point of the execution, which makes the join guarantee hold across
 * connections and processes. `beginNodeRun` takes no execution lock (the node row's
 * lock orders it against a cancel or a failure). Run tokens (fencing) are kept in the node
 * rows and decided on under the node row's lock, in the same statements.
 *
 * Round trips per node run: `beginNodeRun` 1; `completeNode` 1 when the outcome fires
 * every edge (each node row keeps an `open_parents` counter), else 2 (plus one per skip
 * cascade level reaching unread rows). The node run's two hot statements are prepared
 * statements.
 *
 * Durability: `completeNode`, execution and workflow writes commit synchronously. The
 * `running` mark of `beginNodeRun` and `recordSpan`'s and `appendLogs`' lines commit with
 * `synchronous_commit = off`: a crash of PostgreSQL may lose their last fraction of a
 * second (the node's job runs again anyway; a span or log line may be missing; a run whose
 * begin was lost may find its completion fenced). Spans and lines handed to `completeNode`
 * are as durable as the completion.
 *
 * Call {@link PostgresExecutionStore.migrate} once before use (it is safe to call from
 * every process at start-up).
 */
export class PostgresExecutionStore implements ExecutionStore {
  /** Starts nodes in the write that readies them; spans and logs ride in the outcome's write. */
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  /**
   * Encrypted secrets and wrapped data keys (tables `secrets`, `secret_data_keys`):
   * ciphertexts only, one statement per call, every query scoped by tenant.
   */
  readonly secrets: SecretStore;
  /** Hashes of API keys created through the API (table `api_keys`); never a key. */
  readonly apiKeys: ApiKeyRecordStore;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #schema: string;
  readonly #ctx: StoreContext;
  readonly #onPoolError: (error: Error) => void;
  #closed = false;

  constructor(options: PostgresExecutionStoreOptions = {}) {
    const schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(schema)) {
      throw new InvalidArgumentError(
        `schema must be letters, digits, '_' or '$', not starting with a digit; got '${schema}'`,
      );
    }
    const retries = options.retries ?? 3;
    if (!Number.isInteger(retries) || retries < 0) {
      throw new InvalidArgumentError('retries must be a non-negative integer');
    }
    this.#schema = schema;
    const onError = options.onConnectionError ?? (() => {});
    this.#onPoolError = (error) => onError(error);
    if (options.pool) {
      this.#pool = options.pool;
      this.#ownsPool = false;
    } else {
      // Without either, pg falls back to the PG* environment variables (PGHOST, …).
      const connectionString = options.connectionString ?? process.env.DATABASE_URL;
      this.#pool = new pg.Pool({
        max: 10,
        application_name: 'spane-store-postgres',
        ...options.poolConfig,
        connectionString,
        // The store qualifies its tables itself; this is for ad-hoc queries on its connections.
        // Generic plans for the store's prepared statements: PostgreSQL would otherwise
        // re-plan them on every call (their custom plans look cheaper to it), which cost
        // more than running them. A generic plan is made once, possibly while the tables
        // are still small, so sequential scans are discouraged: the store's queries all
        // have index paths, which stay right as the tables grow.
        // The settings of `poolConfig.options` (else of PGOPTIONS, as pg reads it) come first;
        // the store's own follow (the last of a setting given twice wins).
        options: connectionOptions(options.poolConfig?.options ?? process.env.PGOPTIONS, schema),
      });
      this.#ownsPool = true;
    }
    // Without a listener, an idle connection that drops would crash the process.
    this.#pool.on('error', this.#onPoolError);
    const db = new Database({ pool: this.#pool, retries, onError: this.#onPoolError });
    const tables = qualifiedTables(schema);
    const statements = hotStatements(tables);
    this.#ctx = { db, tables, statements, ...createBatchers({ db, tables, statements }) };
    this.secrets = new PostgresSecrets({ db, tables });
    this.apiKeys = new PostgresApiKeys({ db, tables });
  }

  /** The schema holding the store's tables. */
  get schema(): string {
    return this.#schema;
  }

  /**
   * Creates the schema if missing and applies pending migrations, under an advisory lock
   * (safe to call from several processes at once, and again later).
   * @throws SpaneError `INVALID_ARGUMENT` for a server older than PostgreSQL 13.
   */
  async migrate(): Promise<void> {
    await applyMigrations(this.#pool, this.#schema);
  }

  // ── workflow definitions (workflow-definitions.ts) ──────────────────

  saveWorkflow(
    plan: WorkflowPlan,
    scope?: TenantScope,
  ): Promise<{ workflow: StoredWorkflow; created: boolean }> {
    return workflows.saveWorkflow(this.#ctx, plan, scope);
  }

  getWorkflow(
    workflowId: string,
    options?: TenantScope & { version?: string },
  ): Promise<StoredWorkflow | null> {
    return workflows.getWorkflow(this.#ctx, workflowId, options);
  }

  listWorkflows(scope?: TenantScope & { allTenants?: boolean }): Promise<StoredWorkflow[]> {
    return workflows.listWorkflows(this.#ctx, scope);
  }

  listWorkflowVersions(workflowId: string, scope?: TenantScope): Promise<StoredWorkflow[]> {
    return workflows.listWorkflowVersions(this.#ctx, workflowId, scope);
  }

  deleteWorkflow(workflowId: string, scope?: TenantScope): Promise<boolean> {
    return workflows.deleteWorkflow(this.#ctx, workflowId, scope);
  }

  // ── executions (execution-*.ts) ─────────────────────────────────────

  createExecution(input: CreateExecutionInput): Promise<CreateExecutionResult> {
    return createExecution(this.#ctx, input);
  }

  getExecution(executionId: string, tenantId?: string): Promise<ExecutionState | null> {
    return reads.getExecution(this.#ctx, executionId, tenantId);
  }

  getExecutionSummary(executionId: string, tenantId?: string): Promise<ExecutionSummary | null> {
    return reads.getExecutionSummary(this.#ctx, executionId, tenantId);
  }

  listExecutions(filter?: ExecutionFilter): Promise<ExecutionPage> {
    return reads.listExecutions(this.#ctx, filter);
  }

  setExecutionStatus(
    executionId: string,
    status: ExecutionStatus,
    options?: SetStatusOptions,
  ): Promise<ExecutionState> {
    return updates.setExecutionStatus(this.#ctx, executionId, status, options);
  }

  updateExecutionMetadata(
    executionId: string,
    patch: Record<string, unknown>,
    options?: { expectedVersion?: number },
  ): Promise<ExecutionState> {
    return updates.updateExecutionMetadata(this.#ctx, executionId, patch, options);
  }

  retryFailedNode(executionId: string, nodeId: string): Promise<{ ready: string[] } | null> {
    return updates.retryFailedNode(this.#ctx, executionId, nodeId);
  }

  listActiveNodes(options?: { limit?: number; cursor?: string }): Promise<ActiveNodePage> {
    return reads.listActiveNodes(this.#ctx, options);
  }

  purgeExecutions(options: { finishedBefore: string; limit?: number }): Promise<number> {
    return purgeExecutions(this.#ctx, options);
  }

  // ── signals (execution-signals.ts) ──────────────────────────────────

  recordSignal(
    executionId: string,
    signal: NewExecutionSignal,
    tenantId?: string,
  ): Promise<RecordSignalResult | null> {
    return signals.recordSignal(this.#ctx, executionId, signal, tenantId);
  }

  getSignal(executionId: string, name: string): Promise<ExecutionSignal | null> {
    return signals.getSignal(this.#ctx, executionId, name);
  }

  // ── node runs (node-run-begin.ts, node-completion*.ts, node-status.ts) ──

  beginNodeRun(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    attempt?: number,
    runToken?: string,
  ): Promise<BeginNodeRunResult> {
    return beginNodeRun(this.#ctx, plan, executionId, nodeId, attempt, runToken);
  }

  completeNode(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    outcome: NodeOutcome,
    telemetry?: NodeTelemetry,
    options?: CompleteNodeOptions,
  ): Promise<CompleteNodeResult> {
    return completeNode(this.#ctx, plan, executionId, nodeId, outcome, telemetry, options);
  }

  setNodeStatus(
    executionId: string,
    nodeId: string,
    status: 'queued' | 'delayed' | 'waiting',
    options?: { error?: string; runToken?: string },
  ): Promise<boolean> {
    return setNodeStatus(this.#ctx, executionId, nodeId, status, options);
  }

  // ── logs and traces (logs-and-spans.ts) ─────────────────────────────

  appendLogs(entries: LogEntry[]): Promise<void> {
    return telemetry.appendLogs(this.#ctx, entries);
  }

  getLogs(executionId: string, options?: { limit?: number }): Promise<LogEntry[]> {
    return telemetry.getLogs(this.#ctx, executionId, options);
  }

  recordSpan(span: Span, logs?: LogEntry[]): Promise<void> {
    return telemetry.recordSpan(this.#ctx, span, logs);
  }

  getSpans(executionId: string): Promise<Span[]> {
    return telemetry.getSpans(this.#ctx, executionId);
  }

  // ── dead letter queue (dead-letter-queue.ts) ────────────────────────

  addDLQItem(item: NewDLQItem): Promise<DLQItem> {
    return dlq.addDLQItem(this.#ctx, item);
  }

  listDLQItems(filter?: DLQFilter): Promise<DLQPage> {
    return dlq.listDLQItems(this.#ctx, filter);
  }

  countDLQItems(scope?: TenantScope & { allTenants?: boolean }): Promise<number> {
    return dlq.countDLQItems(this.#ctx, scope);
  }

  getDLQItem(id: string, tenantId?: string): Promise<DLQItem | null> {
    return dlq.getDLQItem(this.#ctx, id, tenantId);
  }

  removeDLQItem(id: string): Promise<boolean> {
    return dlq.removeDLQItem(this.#ctx, id);
  }

  /** Resolves when the database answers a trivial query on one of the store's connections. */
  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  /** Closes the pool the store created; a pool passed in is left open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) {
      await this.#pool.end();
    } else {
      this.#pool.off('error', this.#onPoolError);
    }
  }
}

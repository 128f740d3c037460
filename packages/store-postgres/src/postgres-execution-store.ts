import { randomUUID } from 'node:crypto';
import {
  type ActiveNodePage,
  applyNodeOutcome,
  type BeginNodeRunResult,
  type CompleteNodeOptions,
  type CompleteNodeResult,
  type CreateExecutionInput,
  type CreateExecutionResult,
  canTransition,
  DEFAULT_TENANT,
  type DLQItem,
  type ExecutionFilter,
  ExecutionNotFoundError,
  type ExecutionPage,
  type ExecutionState,
  type ExecutionStatus,
  type ExecutionStore,
  edgeFired,
  InvalidArgumentError,
  InvalidTransitionError,
  isSettled,
  isTerminalStatus,
  type LogEntry,
  type NewDLQItem,
  type NodeOutcome,
  type NodeSnapshot,
  type NodeState,
  type NodeStatus,
  type NodeTelemetry,
  type ParentResult,
  planNode,
  resolveNodeInput,
  type SetStatusOptions,
  type SkipReason,
  type Span,
  type StoredWorkflow,
  startExecution,
  type TenantScope,
  VersionConflictError,
  type WorkflowPlan,
} from '@spane/core';
import pg from 'pg';
import { Batcher, Failure } from './batcher.js';
import {
  DLQ_COLUMNS,
  EXECUTION_COLUMNS,
  NODE_COLUMNS,
  SUMMARY,
  WORKFLOW_COLUMNS,
} from './columns.js';
import { Database, type Row } from './db.js';
import { type HotStatements, hotStatements } from './hot-statements.js';
import { applyMigrations } from './migrate.js';
import {
  opt,
  parseJson,
  str,
  toActiveNode,
  toDLQItem,
  toExecution,
  toLogEntry,
  toSnapshot,
  toSpan,
  toSummary,
  toWorkflow,
} from './row-mapping.js';
import {
  checkText,
  iso,
  isoDate,
  join,
  json,
  jsonText,
  NOW,
  raw,
  type Sql,
  type SqlValue,
  sql,
  timestamp,
} from './sql.js';
import { ACTIVE_NODE, FINISHED_NODE, TERMINAL_EXECUTION } from './status-sets.js';
import { qualifiedTables, type Tables } from './tables.js';
import { ASYNC_COMMIT, BEGIN, BEGIN_SNAPSHOT, COMMIT, ROLLBACK } from './transaction-statements.js';

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
  /** Settings of the pool the store creates (ignored with `pool`). @defaultValue `{ max: 10 }` */
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

const MAX_PAGE = 1000;
const MAX_ACTIVE_PAGE = 5000;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

function tenantOf(scope: TenantScope | undefined): string {
  return scope?.tenantId ?? DEFAULT_TENANT;
}

function integer(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`${what} must be an integer`);
  return value;
}

/** Most calls sent in one statement (per kind: begins, completions, creations, …). */
const MAX_BATCH = 200;
/**
 * Most statements of one kind (begins, completions, creations) in flight at once from one
 * store. One: a second statement in flight mostly waited for the first (completions of one
 * execution queue on its row lock until the first commits) while splitting the calls into
 * smaller batches — in the bench's W2 (`apps/bench`), one in flight ran 1.7× the node
 * throughput of two, with no change to a lone call's latency.
 */
const MAX_IN_FLIGHT = 1;

/** A `createExecution` call waiting for its batch, its values checked. */
interface PendingCreate {
  executionId: string;
  /** $2–$12 and $19 of the `create` statement. */
  values: readonly unknown[];
  /** Its node rows: node, status, skip reason, open parents. */
  nodes: readonly (readonly [string, string, string | null, number])[];
}

/** A `beginNodeRun` call waiting for its batch. */
interface PendingBegin {
  executionId: string;
  nodeId: string;
  parents: readonly string[];
  attempts: number | null;
}

/** Most completions written by one statement. */
const MAX_COMPLETION_BATCH = 200;

/** A one-round-trip completion waiting for its batch, its values checked and rendered. */
interface PendingCompletion {
  executionId: string;
  nodeId: string;
  children: readonly string[];
  /** Per child: start it (instead of queueing it) if this completion makes it ready. */
  start: readonly boolean[];
  status: 'completed' | 'failed';
  data: string | null;
  hasData: boolean;
  nextNodes: string | null;
  error: string | null;
  /** id, node type, attempt, start, end, status, error */
  span:
    | readonly [string, string | null, number, string, string | null, string, string | null]
    | undefined;
  /** node, level, message, meta, timestamp */
  logs: (readonly [string | null, string, string, string | null, string])[];
}

/**
 * An {@link ExecutionStore} on PostgreSQL: durable, shared by any number of processes.
 *
 * One row per execution and one per node (`node_states`), so recording a node touches
 * only the rows the readiness rules need. Every operation is one transaction; the
 * operations that decide on the execution (`completeNode`, status changes, DLQ retry)
 * lock the execution row first (`SELECT … FOR NO KEY UPDATE`): that row is the
 * serialization point of the execution, which makes the join guarantee hold across
 * connections and processes. `beginNodeRun` takes no execution lock (the node row's
 * lock orders it against a cancel or a failure).
 *
 * Round trips per node run: `beginNodeRun` 1; `completeNode` 1 when the outcome fires
 * every edge (each node row keeps an `open_parents` counter), else 2 (plus one per skip
 * cascade level reaching unread rows). The node run's two hot statements are prepared
 * statements.
 *
 * Durability: `completeNode`, execution and workflow writes commit synchronously. The
 * `running` mark of `beginNodeRun` and `recordSpan`'s and `appendLogs`' lines commit with
 * `synchronous_commit = off`: a crash of PostgreSQL may lose their last fraction of a
 * second (the node's job runs again anyway; a span or log line may be missing). Spans and
 * lines handed to `completeNode` are as durable as the completion.
 *
 * Call {@link PostgresExecutionStore.migrate} once before use (it is safe to call from
 * every process at start-up).
 */
export class PostgresExecutionStore implements ExecutionStore {
  readonly #db: Database;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #schema: string;
  readonly #t: Tables;
  readonly #hot: HotStatements;
  /** `getWorkflow` calls: tenant, workflow and version (or '' for the current) joined by U+0000. */
  readonly #workflowReads = new Batcher<string, Row | undefined>({
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    write: async (batch) => {
      const keys = [...new Set(batch)].map((k) => k.split('\u0000'));
      const rows = await this.#db.prepared(
        this.#hot.workflows,
        [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
        true,
      );
      const found = new Map<string, Row>();
      for (const row of rows) found.set(keys[Number(row.i) - 1]!.join('\u0000'), row);
      return batch.map((k) => found.get(k));
    },
  });
  /** `appendLogs` calls: their rendered rows, written in call order by one statement. */
  readonly #logWrites = new Batcher<Sql[], undefined>({
    maxBatch: MAX_BATCH,
    // One at a time, so lines keep the order of the calls.
    maxInFlight: 1,
    write: async (batch) => {
      await this.#db.write([
        BEGIN,
        ASYNC_COMMIT,
        sql`INSERT INTO ${this.#t.logs} (execution_id, node_id, level, message, meta, timestamp)
            VALUES ${join(batch.flat())}`,
        COMMIT,
      ]);
      return batch.map(() => undefined);
    },
  });
  /** `createExecution` calls, many per statement (see #writeCreates). */
  readonly #creates = new Batcher<PendingCreate, string | undefined>({
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    fits: (batch, item) => !batch.some((b) => b.executionId === item.executionId),
    write: (batch) => this.#writeCreates(batch),
  });
  /** `beginNodeRun` calls, many per statement (see #writeBegins). */
  readonly #begins = new Batcher<PendingBegin, Row | undefined>({
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    // A node once per batch (one statement updates a row once); a repeat waits.
    fits: (batch, item) =>
      !batch.some((b) => b.executionId === item.executionId && b.nodeId === item.nodeId),
    write: (batch) => this.#writeBegins(batch),
  });
  /** Completions waiting for their execution's batch (see #completeFiringAll). */
  readonly #completions = new Batcher<PendingCompletion, CompleteNodeResult>({
    maxBatch: MAX_COMPLETION_BATCH,
    maxInFlight: MAX_IN_FLIGHT,
    // A node once per batch, and never with its parent (one statement cannot update a
    // row twice); the others wait for the next batch.
    fits: (batch, item) =>
      !batch.some(
        (b) =>
          b.executionId === item.executionId &&
          (b.nodeId === item.nodeId ||
            b.children.includes(item.nodeId) ||
            item.children.includes(b.nodeId)),
      ),
    write: (batch) => this.#writeCompletions(batch),
  });
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
        options: `-c search_path="${schema}" -c plan_cache_mode=force_generic_plan -c enable_seqscan=off`,
      });
      this.#ownsPool = true;
    }
    // Without a listener, an idle connection that drops would crash the process.
    this.#pool.on('error', this.#onPoolError);
    this.#db = new Database({ pool: this.#pool, retries, onError: this.#onPoolError });
    this.#t = qualifiedTables(schema);
    this.#hot = hotStatements(this.#t);
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

  // ── workflow definitions ─────────────────────────────────────────────

  async saveWorkflow(
    plan: WorkflowPlan,
    scope?: TenantScope,
  ): Promise<{ workflow: StoredWorkflow; created: boolean }> {
    const { workflows, heads } = this.#t;
    const tenantId = tenantOf(scope);
    const key = sql`tenant_id = ${tenantId} AND workflow_id = ${plan.workflowId}`;
    const definition = json(plan.definition, 'workflow definition');
    // The insert waits for a concurrent insert of the same version and then does nothing;
    // the following SELECT is a new statement, so it sees whichever row won.
    const [, inserted, , stored] = await this.#db.write([
      BEGIN,
      sql`WITH ins AS (
            INSERT INTO ${workflows} (tenant_id, workflow_id, version, definition, created_at)
            VALUES (${tenantId}, ${plan.workflowId}, ${plan.version}, ${definition}, ${NOW})
            ON CONFLICT DO NOTHING RETURNING 1)
          SELECT count(*)::int AS created FROM ins`,
      sql`INSERT INTO ${heads} (tenant_id, workflow_id, current_version)
          VALUES (${tenantId}, ${plan.workflowId}, ${plan.version})
          ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET current_version = EXCLUDED.current_version`,
      sql`SELECT ${WORKFLOW_COLUMNS} FROM ${workflows} WHERE ${key} AND version = ${plan.version}`,
      COMMIT,
    ]);
    return { workflow: toWorkflow(stored![0]!), created: inserted![0]!.created === 1 };
  }

  async getWorkflow(
    workflowId: string,
    options: TenantScope & { version?: string } = {},
  ): Promise<StoredWorkflow | null> {
    // Calls in flight together are answered by one query (many executions of one
    // workflow starting at once read it once).
    const row = await this.#workflowReads.add(
      [
        checkText(tenantOf(options)),
        checkText(workflowId),
        options.version === undefined ? null : checkText(options.version),
      ].join('\u0000'),
    );
    return row ? toWorkflow(row) : null;
  }

  async listWorkflows(scope?: TenantScope & { allTenants?: boolean }): Promise<StoredWorkflow[]> {
    const { workflows, heads } = this.#t;
    const tenantFilter = scope?.allTenants ? raw('TRUE') : sql`h.tenant_id = ${tenantOf(scope)}`;
    const [rows] = await this.#db.read(
      sql`SELECT ${WORKFLOW_COLUMNS} FROM ${workflows} w
          JOIN ${heads} h USING (tenant_id, workflow_id)
          WHERE ${tenantFilter} AND w.version = h.current_version
          ORDER BY tenant_id COLLATE "C", workflow_id COLLATE "C"`,
    );
    return rows!.map(toWorkflow);
  }

  async listWorkflowVersions(workflowId: string, scope?: TenantScope): Promise<StoredWorkflow[]> {
    const [rows] = await this.#db.read(
      sql`SELECT ${WORKFLOW_COLUMNS} FROM ${this.#t.workflows}
          WHERE tenant_id = ${tenantOf(scope)} AND workflow_id = ${workflowId} ORDER BY seq`,
    );
    return rows!.map(toWorkflow);
  }

  async deleteWorkflow(workflowId: string, scope?: TenantScope): Promise<boolean> {
    const [rows] = await this.#db.write([
      sql`UPDATE ${this.#t.heads} SET current_version = NULL
          WHERE tenant_id = ${tenantOf(scope)} AND workflow_id = ${workflowId}
            AND current_version IS NOT NULL
          RETURNING 1 AS deleted`,
    ]);
    return rows!.length === 1;
  }

  // ── executions ───────────────────────────────────────────────────────

  async createExecution(input: CreateExecutionInput): Promise<CreateExecutionResult> {
    const { executions } = this.#t;
    const { plan } = input;
    const tenantId = input.tenantId ?? DEFAULT_TENANT;
    const executionId = input.executionId ?? randomUUID();
    const depth = integer(input.depth, 'depth') ?? 0;
    const priority = integer(input.priority, 'priority');
    const metadata = input.metadata ?? {};
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new InvalidArgumentError('metadata must be an object');
    }
    const start = startExecution(plan);
    const ready = new Set(start.ready);
    const started = start.ready.filter((id) => input.start?.includes(id));
    const skipped = new Map(start.skipped.map((s) => [s.nodeId, s.reason]));
    const statuses = plan.nodeIds.map((id) =>
      started.includes(id)
        ? 'running'
        : ready.has(id)
          ? 'queued'
          : skipped.has(id)
            ? 'skipped'
            : 'pending',
    );
    const reasons = plan.nodeIds.map((id) => skipped.get(id) ?? null);
    // Parents skipped at the start (unreachable) are settled already.
    const openParents = plan.nodeIds.map(
      (id) => (plan.parents.get(id) ?? []).filter((p) => !skipped.has(p)).length,
    );
    // Checked before any I/O: a value PostgreSQL cannot store fails up front.
    const pending: PendingCreate = {
      executionId: checkText(executionId),
      values: [
        checkText(tenantId),
        checkText(plan.workflowId),
        checkText(plan.version),
        input.initialData === undefined ? null : jsonText(input.initialData, 'initialData'),
        checkText(input.parentExecutionId ?? null),
        checkText(input.parentNodeId ?? null),
        depth,
        priority ?? null,
        checkText(input.idempotencyKey ?? null),
        jsonText(metadata, 'metadata'),
        start.remaining,
        started.length > 0 ? 'running' : 'pending',
      ],
      nodes: plan.nodeIds.map((id, i) => [id, statuses[i]!, reasons[i]!, openParents[i]!] as const),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      // With the calls in flight with it, in one statement; undefined after a conflict.
      const createdAt = await this.#creates.add(pending);
      if (createdAt !== undefined) {
        const nodeResults: Record<string, NodeState> = {};
        plan.nodeIds.forEach((id, i) => {
          const state: NodeState = { status: statuses[i] as NodeStatus, attempts: 0 };
          if (state.status === 'running') {
            state.attempts = 1;
            state.startedAt = createdAt;
          }
          const reason = reasons[i];
          if (reason) {
            state.skipReason = reason as SkipReason;
            state.finishedAt = createdAt;
          }
          Object.defineProperty(nodeResults, id, {
            value: state,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        });
        const execution: ExecutionState = {
          executionId,
          workflowId: plan.workflowId,
          workflowVersion: plan.version,
          tenantId,
          status: started.length > 0 ? 'running' : 'pending',
          nodeResults,
          createdAt,
          depth,
          metadata: JSON.parse(JSON.stringify(metadata)),
          version: 0,
        };
        if (input.initialData !== undefined) {
          execution.initialData = JSON.parse(JSON.stringify(input.initialData));
        }
        if (input.parentExecutionId !== undefined)
          execution.parentExecutionId = input.parentExecutionId;
        if (input.parentNodeId !== undefined) execution.parentNodeId = input.parentNodeId;
        if (priority !== undefined) execution.priority = priority;
        if (input.idempotencyKey !== undefined) execution.idempotencyKey = input.idempotencyKey;
        if (started.length > 0) execution.startedAt = createdAt;
        const result: CreateExecutionResult = { execution, created: true, ready: [...start.ready] };
        if (input.start !== undefined) result.started = started;
        return result;
      }
      // A conflict: the idempotency key (its winner has committed by now), or the id.
      if (input.idempotencyKey !== undefined) {
        const existing = await this.#readExecution(
          sql`tenant_id = ${tenantId} AND idempotency_key = ${input.idempotencyKey}`,
        );
        if (existing) return { execution: existing, created: false, ready: [] };
      }
      const [found] = await this.#db.read(
        sql`SELECT 1 FROM ${executions} WHERE execution_id = ${executionId}`,
      );
      if (found!.length > 0) {
        throw new InvalidArgumentError(`execution '${executionId}' already exists`);
      }
      // The conflicting execution was purged in between: try again.
    }
    throw new Error(`createExecution: could not create execution '${executionId}'`);
  }

  /** One execution matching `where` with its nodes, from one snapshot (one round trip). */
  async #readExecution(where: Sql): Promise<ExecutionState | null> {
    const { executions, nodes } = this.#t;
    const [, rows, nodeRows] = await this.#db.read(
      BEGIN_SNAPSHOT,
      sql`SELECT ${EXECUTION_COLUMNS} FROM ${executions} WHERE ${where}`,
      sql`SELECT ${NODE_COLUMNS} FROM ${nodes}
          WHERE execution_id = (SELECT execution_id FROM ${executions} WHERE ${where})
          ORDER BY ordinal`,
      COMMIT,
    );
    return rows![0] ? toExecution(rows![0], nodeRows!) : null;
  }

  async getExecution(executionId: string): Promise<ExecutionState | null> {
    return this.#readExecution(sql`execution_id = ${executionId}`);
  }

  async listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionPage> {
    const requested = filter.limit ?? 50;
    const limit = Number.isFinite(requested)
      ? Math.min(Math.max(1, Math.floor(requested)), MAX_PAGE)
      : 50;
    const where: Sql[] = [sql`tenant_id = ${tenantOf(filter)}`];
    if (filter.cursor !== undefined) {
      if (!/^\d{1,18}$/.test(filter.cursor)) {
        throw new InvalidArgumentError(`invalid cursor '${filter.cursor}'`);
      }
      where.push(sql`seq < ${raw(filter.cursor)}`);
    }
    if (filter.workflowId !== undefined) where.push(sql`workflow_id = ${filter.workflowId}`);
    if (filter.status !== undefined) {
      const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
      where.push(sql`status = ANY(${statuses})`);
    }
    if (filter.parentExecutionId !== undefined) {
      where.push(sql`parent_execution_id = ${filter.parentExecutionId}`);
    }
    const [rows] = await this.#db.read(
      sql`SELECT ${SUMMARY}, seq FROM ${this.#t.executions} WHERE ${join(where, ' AND ')}
          ORDER BY seq DESC LIMIT ${limit + 1}`,
    );
    const page = rows!.slice(0, limit);
    const result: ExecutionPage = { items: page.map(toSummary) };
    if (rows!.length > limit) result.nextCursor = str(page[page.length - 1]!, 'seq');
    return result;
  }

  /**
   * One round trip: start the node if the execution and the node allow it (and move a
   * pending execution to running), then read the execution's fields and the rows of the
   * node and its parents — never the other nodes. It takes no lock on the execution row:
   * the node row's lock orders it against a cancel or a failure (which re-check the node's
   * status after waiting for it), and the parents it reads are settled. Committed without
   * waiting for the disk: the mark is redone by the job's re-run if a crash loses it.
   */
  async beginNodeRun(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    attempt?: number,
  ): Promise<BeginNodeRunResult> {
    const parents = plan.parents.get(nodeId) ?? [];
    const attempts = integer(attempt, 'attempt');
    const execution = await this.#begins.add({
      executionId: checkText(executionId),
      nodeId: checkText(nodeId),
      parents,
      attempts: attempts ?? null,
    });
    const started = execution?.started === null ? undefined : (execution?.started as number);
    const nodeRows = JSON.parse(opt(execution ?? {}, 'nodes') ?? '[]') as Row[];
    if (!execution) return { started: false, reason: 'not-found' };
    const executionStatus = str(execution, 'status') as ExecutionStatus;
    if (started === undefined) {
      if (executionStatus !== 'pending' && executionStatus !== 'running') {
        return { started: false, reason: 'execution-not-active', executionStatus };
      }
      const result: BeginNodeRunResult = {
        started: false,
        reason: 'node-not-runnable',
        executionStatus,
      };
      const node = nodeRows.find((r) => r.node_id === nodeId);
      if (node) result.nodeStatus = str(node, 'status') as NodeStatus;
      return result;
    }
    const byId = new Map(nodeRows.map((r) => [str(r, 'node_id'), r]));
    const lookup = (id: string): ParentResult | undefined => {
      const row = byId.get(id);
      if (!row) return undefined;
      return {
        ...toSnapshot(row),
        data: parseJson(row.data),
        error: opt(row, 'error'),
      };
    };
    const initialData = parseJson(execution.initial_data);
    const input = resolveNodeInput(plan, nodeId, lookup, initialData);
    const result: BeginNodeRunResult = {
      started: true,
      attempt: started,
      inputData: input.inputData,
      previousResults: input.previousResults,
      initialData: parseJson(execution.initial_data),
      tenantId: str(execution, 'tenant_id'),
      depth: execution.depth as number,
    };
    const parentExecutionId = opt(execution, 'parent_execution_id');
    if (parentExecutionId !== undefined) result.parentExecutionId = parentExecutionId;
    if (execution.priority !== null) result.priority = execution.priority as number;
    return result;
  }

  /** Creates a batch of executions with one statement; undefined for a conflicting one. */
  async #writeCreates(batch: readonly PendingCreate[]): Promise<(string | undefined)[]> {
    const nodes = batch.flatMap((b) =>
      b.nodes.map((n, i) => [b.executionId, n[0], i + 1, n[1], n[2], n[3]] as const),
    );
    const [row] = await this.#db.prepared(this.#hot.create, [
      batch.map((b) => b.executionId),
      ...Array.from({ length: 11 }, (_, i) => batch.map((b) => b.values[i])),
      ...Array.from({ length: 6 }, (_, i) => nodes.map((n) => n[i])),
      batch.map((b) => b.values[11]),
    ]);
    const created = JSON.parse(opt(row!, 'created') ?? '{}') as Record<string, string>;
    return batch.map((b) => created[b.executionId]);
  }

  /**
   * Starts a batch of node runs (of any executions) with one statement. Calls that arrive
   * while earlier ones are in flight go out together, so a busy worker makes a round trip
   * per batch rather than per node run.
   */
  async #writeBegins(batch: readonly PendingBegin[]): Promise<(Row | undefined)[]> {
    const pairs = batch.flatMap((b, i) =>
      [b.nodeId, ...b.parents].map((id) => [i + 1, id] as const),
    );
    const rows = await this.#db.prepared(
      this.#hot.begin,
      [
        batch.map((b) => b.executionId),
        batch.map((b) => b.nodeId),
        batch.map((b) => b.attempts),
        pairs.map((p) => p[0]),
        pairs.map((p) => p[1]),
      ],
      // With explicit attempts, running it twice leaves the same state, so it may be
      // re-run after a connection lost mid-commit; without, attempts would count twice.
      batch.every((b) => b.attempts !== null),
    );
    // A run whose execution does not exist comes back without the execution's status.
    return batch.map((_, i) => (rows[i]!.status === null ? undefined : rows[i]));
  }

  /**
   * When the outcome fires the edge to every child (a completion without `nextNodes` or
   * selecting all children, or a `continueOnFail` failure) no child can be skipped, and the
   * transition needs only the children's `open_parents` counters: one round trip that locks
   * the execution row, records the node, decrements its children's counters (a child
   * reaching 0 is queued — exactly once, under the lock), counts down `remaining` and
   * commits. The lock is held for that one batch only, not across a trip to this process.
   *
   * Otherwise two round trips: (1) lock the execution row and read the rows the
   * transition needs — the node, its children and their parents; (2) write the changed
   * node rows (and the counters of the settled nodes' children), the execution row and
   * commit. A skip cascade that reaches nodes not yet read costs one more round trip per
   * level (the pure transition is then re-run).
   */
  async completeNode(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    outcome: NodeOutcome,
    telemetry?: NodeTelemetry,
    options?: CompleteNodeOptions,
  ): Promise<CompleteNodeResult> {
    const definition = planNode(plan, nodeId);
    const start = options?.start;
    const hardFailure = outcome.type === 'failed' && !definition.continueOnFail;
    const children = plan.children.get(nodeId) ?? [];
    // The node as the readiness rules will see it, when the outcome settles it for them.
    const settled: NodeSnapshot | undefined =
      outcome.type === 'skipped' || hardFailure
        ? undefined
        : {
            status: outcome.type,
            nextNodes: outcome.type === 'completed' ? outcome.nextNodes : undefined,
            continuedOnFail: outcome.type === 'failed',
          };
    if (settled && children.every((child) => edgeFired(settled, child))) {
      return this.#completeFiringAll(
        executionId,
        nodeId,
        outcome as Exclude<NodeOutcome, { type: 'skipped' }>,
        children,
        telemetry,
        start,
      );
    }

    const { executions, nodes } = this.#t;
    // Rendered before any I/O too: a bad span or log value fails the call up front.
    const telemetryWrites = telemetry ? this.#spanWrites(telemetry) : [];
    const ofExecution = sql`execution_id = ${executionId}`;
    // Render the outcome's values first: a value PostgreSQL cannot store fails before any I/O.
    const data =
      outcome.type !== 'skipped' && outcome.data !== undefined
        ? json(outcome.data, `data of node '${nodeId}'`)
        : undefined;
    const nextNodes =
      outcome.type === 'completed' && outcome.nextNodes !== undefined
        ? json([...outcome.nextNodes], `nextNodes of node '${nodeId}'`)
        : undefined;
    const error = outcome.type === 'failed' ? sql`${outcome.error}` : undefined;

    const wanted = new Set([nodeId]);
    if (!hardFailure) {
      for (const child of plan.children.get(nodeId) ?? []) {
        wanted.add(child);
        for (const parent of plan.parents.get(child) ?? []) wanted.add(parent);
      }
    }
    const readNodes = (ids: readonly string[]) =>
      sql`SELECT node_id, status, next_nodes::text AS next_nodes, continued_on_fail
          FROM ${nodes} WHERE ${ofExecution} AND node_id = ANY(${ids})`;

    return this.#db.run(async (session) => {
      const [, execRows, nodeRows] = await session.query(
        BEGIN,
        sql`SELECT status, remaining FROM ${executions} WHERE ${ofExecution} FOR NO KEY UPDATE`,
        readNodes([...wanted]),
      );
      const execution = execRows![0];
      if (!execution) throw new ExecutionNotFoundError(executionId);
      const status = str(execution, 'status') as ExecutionStatus;
      const loaded = new Map<string, NodeSnapshot | null>();
      for (const row of nodeRows!) loaded.set(str(row, 'node_id'), toSnapshot(row));
      const node = loaded.get(nodeId);
      if (
        isTerminalStatus(status) ||
        !node ||
        isSettled(node.status) ||
        node.status === 'cancelled'
      ) {
        await session.query(ROLLBACK);
        if (telemetryWrites.length > 0) await session.commit(BEGIN, ...telemetryWrites, COMMIT);
        return {
          recorded: false,
          ready: [],
          skipped: [],
          executionStatus: status,
          finished: false,
        };
      }

      // The transition reads through `lookup`; a node it asks for that was not read is
      // fetched and the (pure) transition run again.
      for (const wantedId of wanted) if (!loaded.has(wantedId)) loaded.set(wantedId, null);
      let t: ReturnType<typeof applyNodeOutcome>;
      for (;;) {
        const missing = new Set<string>();
        const lookup = (lookupId: string): NodeSnapshot | undefined => {
          const snapshot = loaded.get(lookupId);
          if (snapshot === undefined) missing.add(lookupId);
          return snapshot ?? undefined;
        };
        t = applyNodeOutcome(plan, lookup, nodeId, outcome, execution.remaining as number);
        if (missing.size === 0) break;
        const [rows] = await session.query(readNodes([...missing]));
        for (const missingId of missing) loaded.set(missingId, null);
        for (const row of rows!) loaded.set(str(row, 'node_id'), toSnapshot(row));
      }

      const writes: Sql[] = [];
      // A paused execution's ready nodes wait for its resume.
      const starts = new Set(
        status === 'paused' ? [] : t.ready.filter((id) => start?.includes(id)),
      );
      const [first, ...cascade] = t.settled;
      const sets: Sql[] = [sql`status = ${first!.status}`, sql`finished_at = ${NOW}`];
      if (first!.skipReason !== undefined) sets.push(sql`skip_reason = ${first!.skipReason}`);
      if (first!.continuedOnFail) sets.push(raw('continued_on_fail = TRUE'));
      if (data !== undefined) sets.push(sql`data = ${data}`);
      if (nextNodes !== undefined) sets.push(sql`next_nodes = ${nextNodes}`);
      if (outcome.type === 'completed') sets.push(raw('error = NULL'));
      if (error !== undefined) sets.push(sql`error = ${error}`);
      writes.push(
        sql`UPDATE ${nodes} SET ${join(sets)} WHERE ${ofExecution} AND node_id = ${nodeId}`,
      );

      const changed = [
        ...cascade.map((s) => ({ id: s.nodeId, status: s.status, reason: s.skipReason ?? null })),
        ...t.ready.map((readyId) => ({
          id: readyId,
          status: starts.has(readyId) ? 'running' : 'queued',
          reason: null,
        })),
      ];
      if (changed.length > 0) {
        writes.push(sql`
          UPDATE ${nodes} AS n SET status = v.status,
            skip_reason = COALESCE(v.skip_reason, n.skip_reason),
            finished_at = CASE WHEN v.status = 'skipped' THEN ${NOW} ELSE n.finished_at END,
            attempts = CASE WHEN v.status = 'running' THEN 1 ELSE n.attempts END,
            started_at = CASE WHEN v.status = 'running' THEN ${NOW} ELSE n.started_at END
          FROM unnest(${changed.map((c) => c.id)}, ${changed.map((c) => c.status)},
                      ${changed.map((c) => c.reason)}) AS v(node_id, status, skip_reason)
          WHERE n.${ofExecution} AND n.node_id = v.node_id`);
      }

      // Keep the children's open-parent counters true for the one-round-trip path.
      const opened = new Map<string, number>();
      for (const s of t.settled) {
        if (s.status === 'failed' && !s.continuedOnFail) continue;
        for (const child of plan.children.get(s.nodeId) ?? []) {
          opened.set(child, (opened.get(child) ?? 0) + 1);
        }
      }
      if (opened.size > 0) {
        writes.push(sql`
          UPDATE ${nodes} AS n SET open_parents = n.open_parents - v.settled::int
          FROM unnest(${[...opened.keys()]}, ${[...opened.values()].map(String)}) AS v(node_id, settled)
          WHERE n.${ofExecution} AND n.node_id = v.node_id`);
      }

      const execSets: Sql[] = [sql`remaining = ${t.remaining}`];
      if (t.status !== undefined) {
        execSets.push(
          sql`status = ${t.status}`,
          sql`completed_at = ${NOW}`,
          raw('version = version + 1'),
        );
      }
      if (t.status === 'failed') {
        const message = `Node '${nodeId}' failed: ${outcome.type === 'failed' ? outcome.error : ''}`;
        execSets.push(sql`error = ${message}`);
        writes.push(
          sql`UPDATE ${nodes} SET status = 'cancelled', finished_at = ${NOW}
              WHERE ${ofExecution} AND status = ANY(${ACTIVE_NODE})`,
        );
      }
      writes.push(sql`UPDATE ${executions} SET ${join(execSets)} WHERE ${ofExecution}`);
      await session.commit(...writes, ...telemetryWrites, COMMIT);
      const result: CompleteNodeResult = {
        recorded: true,
        ready: [...t.ready],
        skipped: t.skipped,
        executionStatus: t.status ?? status,
        finished: t.status !== undefined,
      };
      if (start !== undefined) result.started = t.ready.filter((id) => starts.has(id));
      return result;
    });
  }

  /**
   * The one-round-trip `completeNode` (see there). Calls that arrive while earlier ones
   * are being written wait in this process and go out together as one statement (of any
   * executions; one commit), like `beginNodeRun` calls: a busy worker makes a round trip
   * per batch rather than per node, and a wide fan-in does not queue every completion on
   * the execution row's lock in the server.
   */
  #completeFiringAll(
    executionId: string,
    nodeId: string,
    outcome: Exclude<NodeOutcome, { type: 'skipped' }>,
    children: readonly string[],
    telemetry: NodeTelemetry | undefined,
    start: readonly string[] | undefined,
  ): Promise<CompleteNodeResult> {
    // Checked before any I/O: a value PostgreSQL cannot store fails up front.
    checkText(executionId);
    checkText(nodeId);
    const span = telemetry?.span;
    const lines = telemetry?.logs ?? [];
    if (span && (span.executionId !== executionId || span.nodeId !== nodeId)) {
      throw new InvalidArgumentError('telemetry.span must be of the node being completed');
    }
    if (lines.some((l) => l.executionId !== executionId)) {
      throw new InvalidArgumentError('telemetry.logs must be of the execution being completed');
    }
    const item: PendingCompletion = {
      executionId,
      nodeId,
      children,
      start: children.map((c) => start?.includes(c) === true),
      status: outcome.type,
      data: outcome.data === undefined ? null : jsonText(outcome.data, `data of node '${nodeId}'`),
      hasData: outcome.data !== undefined,
      nextNodes:
        outcome.type === 'completed' && outcome.nextNodes !== undefined
          ? jsonText([...outcome.nextNodes], `nextNodes of node '${nodeId}'`)
          : null,
      error: outcome.type === 'failed' ? checkText(outcome.error) : null,
      span: span && [
        checkText(span.spanId),
        checkText(span.nodeType ?? null),
        integer(span.attempt, 'attempt')!,
        isoDate(span.startedAt, 'span startedAt'),
        span.finishedAt === undefined ? null : isoDate(span.finishedAt, 'span finishedAt'),
        checkText(span.status),
        span.error === undefined ? null : checkText(span.error),
      ],
      logs: lines.map((l) => [
        checkText(l.nodeId ?? null),
        checkText(l.level),
        checkText(l.message),
        l.meta === undefined ? null : jsonText(l.meta, 'log meta'),
        isoDate(l.timestamp, 'log timestamp'),
      ]),
    };
    return this.#completions.add(item);
  }

  /** Writes a batch of one-round-trip completions (of any executions) with one statement. */
  async #writeCompletions(
    batch: readonly PendingCompletion[],
  ): Promise<(CompleteNodeResult | Failure)[]> {
    // A child reached by edges of several nodes of the batch is reported to the first of
    // them (see below), which may not have asked to start it: such a child is queued.
    const reached = new Map<string, number>();
    for (const b of batch) {
      for (const c of b.children) {
        const key = `${b.executionId}\u0000${c}`;
        reached.set(key, (reached.get(key) ?? 0) + 1);
      }
    }
    const edges = batch.flatMap((b) =>
      b.children.map(
        (c, i) =>
          [
            b.executionId,
            b.nodeId,
            c,
            b.start[i]! && reached.get(`${b.executionId}\u0000${c}`) === 1,
          ] as const,
      ),
    );
    const spans = batch.filter((b) => b.span !== undefined);
    const logs = batch.flatMap((b) => b.logs.map((l) => [b.executionId, ...l] as const));
    const column = <T>(rows: readonly (readonly T[])[], i: number) => rows.map((r) => r[i]!);
    const spanRows = spans.map(
      (b) => [b.span![0], b.executionId, b.nodeId, ...b.span!.slice(1)] as const,
    );
    const [row] = await this.#db.prepared(this.#hot.complete, [
      batch.map((b) => b.executionId),
      batch.map((b) => b.nodeId),
      batch.map((b) => b.status),
      batch.map((b) => b.data),
      batch.map((b) => b.hasData),
      batch.map((b) => b.nextNodes),
      batch.map((b) => b.error),
      edges.map((e) => e[0]),
      edges.map((e) => e[1]),
      edges.map((e) => e[2]),
      ...Array.from({ length: 9 }, (_, i) => column(spanRows, i)),
      ...Array.from({ length: 6 }, (_, i) => column(logs, i)),
      edges.map((e) => e[3]),
    ]);
    const before = JSON.parse(opt(row!, 'before') ?? '{}') as Record<string, ExecutionStatus>;
    const after = JSON.parse(opt(row!, 'after') ?? '{}') as Record<
      string,
      [ExecutionStatus, number]
    >;
    const pairs = (column: string) =>
      new Set(
        (JSON.parse(opt(row!, column) ?? '[]') as [string, string][]).map(
          ([e, n]) => `${e}\u0000${n}`,
        ),
      );
    const recorded = pairs('recorded');
    const queued = pairs('ready');
    const started = pairs('started');
    const lastRecorded = new Map<string, PendingCompletion>();
    for (const b of batch) {
      if (recorded.has(`${b.executionId}\u0000${b.nodeId}`)) lastRecorded.set(b.executionId, b);
    }
    return batch.map((b) => {
      const status = before[b.executionId];
      if (status === undefined) return new Failure(new ExecutionNotFoundError(b.executionId));
      const changed = after[b.executionId];
      if (!recorded.has(`${b.executionId}\u0000${b.nodeId}`)) {
        return {
          recorded: false,
          ready: [],
          skipped: [],
          executionStatus: changed?.[0] ?? status,
          finished: false,
        };
      }
      // A child made ready by several nodes of the batch is reported by the first of them.
      const ready = b.children.filter((c) => queued.delete(`${b.executionId}\u0000${c}`));
      const result: CompleteNodeResult = {
        recorded: true,
        ready,
        skipped: [],
        executionStatus: changed![0],
        finished: lastRecorded.get(b.executionId) === b && changed![1] === 0,
      };
      if (b.start.includes(true)) {
        result.started = ready.filter((c) => started.has(`${b.executionId}\u0000${c}`));
      }
      return result;
    });
  }

  async setNodeStatus(
    executionId: string,
    nodeId: string,
    status: 'queued' | 'delayed' | 'waiting',
    options: { error?: string } = {},
  ): Promise<boolean> {
    const { executions, nodes } = this.#t;
    const id = sql`execution_id = ${executionId}`;
    const error = options.error === undefined ? raw('error') : sql`${options.error}`;
    const [, , updated] = await this.#db.write([
      BEGIN,
      sql`SELECT 1 FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
      sql`UPDATE ${nodes} SET status = ${status}, error = ${error}
          WHERE ${id} AND node_id = ${nodeId} AND status <> ALL(${FINISHED_NODE})
            AND EXISTS (SELECT 1 FROM ${executions} WHERE ${id} AND status <> ALL(${TERMINAL_EXECUTION}))
          RETURNING 1 AS updated`,
      COMMIT,
    ]);
    return updated!.length === 1;
  }

  /**
   * One round trip: lock the row and read its status and version, apply the change only
   * if the lifecycle (and `expectedVersion`) allow it, and read the result. Whether it
   * was applied is decided from the locked row, which no one else can change meanwhile.
   */
  async setExecutionStatus(
    executionId: string,
    status: ExecutionStatus,
    options: SetStatusOptions = {},
  ): Promise<ExecutionState> {
    const { executions, nodes } = this.#t;
    const id = sql`execution_id = ${executionId}`;
    const expected = integer(options.expectedVersion, 'expectedVersion');
    // `failed` → `running` is only for retryFailedNode.
    const from = (['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const)
      .filter((s) => canTransition(s, status) && !(s === 'failed' && status === 'running'))
      .map((s) => s as string);
    const allowed = sql`${id} AND status = ANY(${from})${
      expected === undefined ? raw('') : sql` AND version = ${expected}`
    }`;
    const sets: Sql[] = [sql`status = ${status}`, raw('version = version + 1')];
    if (options.error !== undefined) sets.push(sql`error = ${options.error}`);
    let cancel: Sql | undefined;
    if (isTerminalStatus(status)) {
      sets.push(sql`completed_at = ${NOW}`);
      if (status === 'cancelled') cancel = sql`status <> ALL(${FINISHED_NODE})`;
      if (status === 'failed') cancel = sql`status = ANY(${ACTIVE_NODE})`;
    } else if (status === 'running') {
      sets.push(sql`started_at = COALESCE(started_at, ${NOW})`);
    }
    const update = cancel
      ? sql`WITH e AS (UPDATE ${executions} SET ${join(sets)} WHERE ${allowed} RETURNING 1)
            UPDATE ${nodes} SET status = 'cancelled', finished_at = ${NOW}
            WHERE ${id} AND ${cancel} AND EXISTS (SELECT 1 FROM e)`
      : sql`UPDATE ${executions} SET ${join(sets)} WHERE ${allowed}`;
    const [, before, , after, nodeRows] = await this.#db.write([
      BEGIN,
      sql`SELECT status, version FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
      update,
      sql`SELECT ${EXECUTION_COLUMNS} FROM ${executions} WHERE ${id}`,
      sql`SELECT ${NODE_COLUMNS} FROM ${nodes} WHERE ${id} ORDER BY ordinal`,
      COMMIT,
    ]);
    const row = before![0];
    if (!row) throw new ExecutionNotFoundError(executionId);
    const version = row.version as number;
    if (expected !== undefined && expected !== version) {
      throw new VersionConflictError(executionId, expected, version);
    }
    const current = str(row, 'status');
    if (!from.includes(current)) throw new InvalidTransitionError(current, status);
    return toExecution(after![0]!, nodeRows!);
  }

  async updateExecutionMetadata(
    executionId: string,
    patch: Record<string, unknown>,
    options: { expectedVersion?: number } = {},
  ): Promise<ExecutionState> {
    const { executions, nodes } = this.#t;
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw new InvalidArgumentError('metadata patch must be an object');
    }
    const id = sql`execution_id = ${executionId}`;
    const expected = integer(options.expectedVersion, 'expectedVersion');
    const check = expected === undefined ? raw('') : sql` AND version = ${expected}`;
    // `jsonb || jsonb` of two objects is a shallow merge, the right side winning.
    const [, before, , after, nodeRows] = await this.#db.write([
      BEGIN,
      sql`SELECT version FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
      sql`UPDATE ${executions}
          SET metadata = metadata || ${json(patch, 'metadata patch')}, version = version + 1
          WHERE ${id}${check}`,
      sql`SELECT ${EXECUTION_COLUMNS} FROM ${executions} WHERE ${id}`,
      sql`SELECT ${NODE_COLUMNS} FROM ${nodes} WHERE ${id} ORDER BY ordinal`,
      COMMIT,
    ]);
    const row = before![0];
    if (!row) throw new ExecutionNotFoundError(executionId);
    if (expected !== undefined && expected !== row.version) {
      throw new VersionConflictError(executionId, expected, row.version as number);
    }
    return toExecution(after![0]!, nodeRows!);
  }

  async retryFailedNode(executionId: string, nodeId: string): Promise<{ ready: string[] } | null> {
    const { executions, nodes } = this.#t;
    const id = sql`execution_id = ${executionId}`;
    const [, , revived] = await this.#db.write([
      BEGIN,
      sql`SELECT 1 FROM ${executions} WHERE ${id} FOR NO KEY UPDATE`,
      sql`WITH ok AS (
            SELECT 1 FROM ${executions} e JOIN ${nodes} n USING (execution_id)
            WHERE e.${id} AND e.status = 'failed' AND n.node_id = ${nodeId}
              AND n.status = 'failed' AND NOT n.continued_on_fail),
          u AS (
            UPDATE ${nodes} SET status = 'queued', finished_at = NULL, error = NULL
            WHERE ${id} AND (node_id = ${nodeId} OR status = 'cancelled')
              AND EXISTS (SELECT 1 FROM ok)
            RETURNING node_id, ordinal),
          e AS (
            UPDATE ${executions}
            SET status = 'running', error = NULL, completed_at = NULL, version = version + 1
            WHERE ${id} AND EXISTS (SELECT 1 FROM ok))
          SELECT node_id FROM u ORDER BY node_id = ${nodeId} DESC, ordinal`,
      COMMIT,
    ]);
    if (revived!.length === 0) return null;
    return { ready: revived!.map((r) => str(r, 'node_id')) };
  }

  async listActiveNodes(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ActiveNodePage> {
    const { executions, nodes } = this.#t;
    const requested = options.limit ?? 500;
    const limit = Number.isFinite(requested)
      ? Math.min(Math.max(1, Math.floor(requested)), MAX_ACTIVE_PAGE)
      : 500;
    // Keyset pagination by (execution seq, node id): the cursor is `<seq>:<nodeId>`.
    let after = raw('');
    if (options.cursor !== undefined) {
      const match = /^(\d{1,18}):(.*)$/s.exec(options.cursor);
      if (!match) throw new InvalidArgumentError(`invalid cursor '${options.cursor}'`);
      const seq = raw(match[1]!);
      after = sql`AND (e.seq > ${seq} OR (e.seq = ${seq} AND n.node_id COLLATE "C" > ${match[2]!}))`;
    }
    const [rows] = await this.#db.read(
      sql`SELECT e.seq, e.execution_id, e.tenant_id, e.workflow_id, e.workflow_version,
                 e.priority, ${raw(iso('e.created_at', 'created_at'))},
                 n.node_id, n.status, n.attempts
          FROM ${executions} e JOIN ${nodes} n USING (execution_id)
          WHERE e.status IN ('pending', 'running') AND n.status IN ('queued', 'running', 'delayed')
            ${after}
          ORDER BY e.seq, n.node_id COLLATE "C"
          LIMIT ${limit + 1}`,
    );
    const items = rows!.slice(0, limit).map(toActiveNode);
    const page: ActiveNodePage = { items };
    if (rows!.length > limit) {
      const last = rows![limit - 1]!;
      page.nextCursor = `${str(last, 'seq')}:${str(last, 'node_id')}`;
    }
    return page;
  }

  async purgeExecutions(options: { finishedBefore: string; limit?: number }): Promise<number> {
    const { executions, nodes, logs, spans } = this.#t;
    const cutoff = timestamp(options.finishedBefore, 'finishedBefore');
    const limit = integer(options.limit, 'limit') ?? 1000;
    if (limit <= 0) return 0;
    const [rows] = await this.#db.write([
      sql`WITH victims AS (
            SELECT execution_id FROM ${executions}
            WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at < ${cutoff}
            ORDER BY completed_at, seq LIMIT ${limit}
            FOR UPDATE SKIP LOCKED),
          d AS (DELETE FROM ${executions} WHERE execution_id IN (SELECT execution_id FROM victims)
                RETURNING execution_id),
          dn AS (DELETE FROM ${nodes} WHERE execution_id IN (SELECT execution_id FROM d)),
          dl AS (DELETE FROM ${logs} WHERE execution_id IN (SELECT execution_id FROM d)),
          ds AS (DELETE FROM ${spans} WHERE execution_id IN (SELECT execution_id FROM d))
          SELECT count(*)::int AS purged FROM d`,
    ]);
    return rows![0]!.purged as number;
  }

  // ── logs and traces ──────────────────────────────────────────────────

  async appendLogs(entries: LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // Committed like spans, without waiting for the disk; calls in flight together are
    // written by one statement.
    await this.#logWrites.add(this.#logRows(entries));
  }

  #insertLogs(entries: LogEntry[]): Sql {
    return sql`INSERT INTO ${this.#t.logs} (execution_id, node_id, level, message, meta, timestamp)
          VALUES ${join(this.#logRows(entries))}`;
  }

  /** Log lines as rendered rows (values checked: a bad one throws before any I/O). */
  #logRows(entries: LogEntry[]): Sql[] {
    return entries.map(
      (e) =>
        sql`(${e.executionId}, ${e.nodeId}, ${e.level}, ${e.message}, ${json(e.meta, 'log meta')},
             ${timestamp(e.timestamp, 'log timestamp')})`,
    );
  }

  async getLogs(executionId: string, options: { limit?: number } = {}): Promise<LogEntry[]> {
    const limit = integer(options.limit, 'limit');
    const [rows] = await this.#db.read(
      sql`SELECT execution_id, node_id, level, message, meta::text AS meta, ${raw(iso('timestamp'))}
          FROM ${this.#t.logs} WHERE execution_id = ${executionId} ORDER BY id
          ${limit === undefined ? raw('') : sql`LIMIT ${Math.max(0, limit)}`}`,
    );
    return rows!.map(toLogEntry);
  }

  async recordSpan(span: Span, logs: LogEntry[] = []): Promise<void> {
    // Replacing the whole row is idempotent, so it may be re-run after a lost connection
    // (appending logs is not: with logs, a lost commit is reported instead).
    await this.#db.write(
      [BEGIN, ASYNC_COMMIT, ...this.#spanWrites({ span, logs }), COMMIT],
      logs.length === 0,
    );
  }

  /** The statements that write a span (replacing it) and append log lines. */
  #spanWrites({ span, logs = [] }: NodeTelemetry): Sql[] {
    const values: SqlValue[] = [
      span.spanId,
      span.executionId,
      span.nodeId,
      span.nodeType,
      integer(span.attempt, 'attempt'),
      timestamp(span.startedAt, 'span startedAt'),
      span.finishedAt === undefined ? null : timestamp(span.finishedAt, 'span finishedAt'),
      span.status,
      span.error,
    ];
    const rendered = join(values.map((v) => sql`${v}`));
    return [
      ...(logs.length > 0 ? [this.#insertLogs(logs)] : []),
      sql`INSERT INTO ${this.#t.spans} (span_id, execution_id, node_id, node_type, attempt,
            started_at, finished_at, status, error)
          VALUES (${rendered})
          ON CONFLICT (span_id) DO UPDATE SET execution_id = EXCLUDED.execution_id,
            node_id = EXCLUDED.node_id, node_type = EXCLUDED.node_type,
            attempt = EXCLUDED.attempt, started_at = EXCLUDED.started_at,
            finished_at = EXCLUDED.finished_at, status = EXCLUDED.status,
            error = EXCLUDED.error`,
    ];
  }

  async getSpans(executionId: string): Promise<Span[]> {
    const [rows] = await this.#db.read(
      sql`SELECT span_id, execution_id, node_id, node_type, attempt,
                 ${raw(`${iso('started_at')}, ${iso('finished_at')}`)}, status, error
          FROM ${this.#t.spans} WHERE execution_id = ${executionId} ORDER BY started_at, seq`,
    );
    return rows!.map(toSpan);
  }

  // ── dead letter queue ────────────────────────────────────────────────

  async addDLQItem(item: NewDLQItem): Promise<DLQItem> {
    const id = randomUUID();
    const failedAt = item.failedAt === undefined ? NOW : timestamp(item.failedAt, 'failedAt');
    const [rows] = await this.#db.write([
      sql`INSERT INTO ${this.#t.dlq} (id, tenant_id, workflow_id, execution_id, node_id,
            input_data, error, stack, attempts, failed_at)
          VALUES (${id}, ${item.tenantId ?? DEFAULT_TENANT}, ${item.workflowId},
            ${item.executionId}, ${item.nodeId}, ${json(item.inputData, 'DLQ inputData')},
            ${item.error}, ${item.stack}, ${integer(item.attempts, 'attempts')}, ${failedAt})
          RETURNING ${DLQ_COLUMNS}`,
    ]);
    return toDLQItem(rows![0]!);
  }

  async listDLQItems(
    options: TenantScope & { start?: number; end?: number; allTenants?: boolean } = {},
  ): Promise<DLQItem[]> {
    const start = Math.max(0, integer(options.start, 'start') ?? 0);
    const end = integer(options.end, 'end') ?? -1;
    if (end >= 0 && end < start) return [];
    const limit = end >= 0 ? sql`LIMIT ${end - start + 1}` : raw('');
    const [rows] = await this.#db.read(
      sql`SELECT ${DLQ_COLUMNS} FROM ${this.#t.dlq}
          WHERE ${options.allTenants ? raw('TRUE') : sql`tenant_id = ${tenantOf(options)}`}
          ORDER BY seq DESC OFFSET ${start} ${limit}`,
    );
    let items = rows!.map(toDLQItem);
    if (end < -1) {
      // A negative end counts from the last item, as in Array.prototype.slice(start, end + 1).
      items = items.slice(0, Math.max(0, items.length + end + 1));
    }
    return items;
  }

  async getDLQItem(id: string): Promise<DLQItem | null> {
    const [rows] = await this.#db.read(
      sql`SELECT ${DLQ_COLUMNS} FROM ${this.#t.dlq} WHERE id = ${id}`,
    );
    return rows![0] ? toDLQItem(rows![0]) : null;
  }

  async removeDLQItem(id: string): Promise<boolean> {
    const [rows] = await this.#db.write([
      sql`DELETE FROM ${this.#t.dlq} WHERE id = ${id} RETURNING 1 AS removed`,
    ]);
    return rows!.length === 1;
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

import { randomUUID } from 'node:crypto';
import {
  ACTIVE_NODE_PAGE,
  type ActiveNode,
  type ActiveNodePage,
  applyNodeOutcome,
  assertStatusChange,
  type BeginNodeRunResult,
  type CompleteNodeOptions,
  type CompleteNodeResult,
  type CreateExecutionInput,
  type CreateExecutionResult,
  DEFAULT_TENANT,
  type DLQFilter,
  type DLQItem,
  DLQ_PAGE,
  type DLQPage,
  EXECUTION_PAGE,
  type ExecutionFilter,
  ExecutionNotFoundError,
  type ExecutionPage,
  type ExecutionState,
  type ExecutionStatus,
  type ExecutionStore,
  type ExecutionSummary,
  InvalidArgumentError,
  isActiveExecutionStatus,
  isFinalNodeStatus,
  isInFlightNodeStatus,
  isSettled,
  isTerminalStatus,
  type LogEntry,
  type NewDLQItem,
  type NodeOutcome,
  type NodeState,
  type NodeTelemetry,
  OpenParentCounts,
  pageLimit,
  parseSeqCursor,
  parseSeqKeyCursor,
  resolveNodeInput,
  type SetStatusOptions,
  type Span,
  type StoreCapabilities,
  type StoredWorkflow,
  seqKeyCursor,
  startExecution,
  statusChangeEffects,
  type TenantScope,
  toJsonText,
  VersionConflictError,
  type WorkflowPlan,
} from '@spane/core/store';

/** Options of {@link InMemoryExecutionStore}. */
export interface InMemoryExecutionStoreOptions {
  /**
   * Finished executions (completed, failed, cancelled) kept before the oldest are
   * evicted, with their logs and spans. Running executions are never evicted.
   * @defaultValue 10_000
   */
  maxFinishedExecutions?: number;
  /** Clock for timestamps. @defaultValue () => new Date() */
  now?: () => Date;
}

interface ExecutionRecord {
  state: ExecutionState;
  /** Nodes still to settle successfully (see `applyNodeOutcome`). */
  remaining: number;
  /** Per node, its parents not settled yet: a join costs O(1) per parent's completion. */
  openParents: OpenParentCounts;
  /**
   * Node outputs as JSON text (never in `state.nodeResults`): written once, parsed per
   * read, which also copies them; one string per output keeps big outputs compact.
   */
  data: Map<string, string>;
  /** Creation order, for newest-first listings and cursors. */
  seq: number;
}

interface WorkflowRecord {
  versions: StoredWorkflow[];
  current: string | null;
}

/** What this store can do beyond the required contract. */
const CAPABILITIES: StoreCapabilities = Object.freeze({
  startsNodes: true,
  telemetryWithOutcome: true,
});

/** Deep copy through JSON, so stored data behaves as a database-backed store's would. */
function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * A log line as stored: its fields are strings but `meta`, which is deep-copied (cheaper
 * than a JSON round trip of the whole line on the hot path; reads copy through JSON).
 */
function copyLogEntry(entry: LogEntry): LogEntry {
  const stored = { ...entry };
  if (entry.meta !== undefined) stored.meta = copy(entry.meta);
  return stored;
}

/** The state as callers see it: a copy, with the node outputs parsed back in. */
function view(record: ExecutionRecord): ExecutionState {
  const state = copy(record.state);
  for (const [nodeId, text] of record.data) state.nodeResults[nodeId]!.data = JSON.parse(text);
  return state;
}

/** A node's state with its output (parsed, so a fresh copy), for the data-passing rule. */
function withData(record: ExecutionRecord, nodeId: string): NodeState | undefined {
  const node = record.state.nodeResults[nodeId];
  const text = record.data.get(nodeId);
  return node === undefined || text === undefined ? node : { ...node, data: JSON.parse(text) };
}

function key(tenantId: string | undefined, id: string): string {
  return `${tenantId ?? DEFAULT_TENANT}\u0000${id}`;
}

function summary(state: ExecutionState): ExecutionSummary {
  const { nodeResults: _n, initialData: _i, ...rest } = state;
  return copy(rest);
}

/**
 * An {@link ExecutionStore} that keeps everything in this process's memory: for tests,
 * development and single-process embedding. State is lost when the process exits.
 *
 * Every operation runs synchronously inside its promise, so each one is atomic with
 * respect to every other caller in the process. Returned objects are copies.
 */
export class InMemoryExecutionStore implements ExecutionStore {
  readonly capabilities: StoreCapabilities = CAPABILITIES;
  readonly #executions = new Map<string, ExecutionRecord>();
  readonly #workflows = new Map<string, WorkflowRecord>();
  readonly #idempotency = new Map<string, string>();
  /** Finished execution ids in the order they finished. */
  readonly #finished = new Map<string, true>();
  readonly #logs = new Map<string, LogEntry[]>();
  readonly #spans = new Map<string, Map<string, Span>>();
  readonly #dlq = new Map<string, { item: DLQItem; seq: number }>();
  readonly #maxFinished: number;
  readonly #now: () => Date;
  #seq = 0;

  constructor(options: InMemoryExecutionStoreOptions = {}) {
    const max = options.maxFinishedExecutions ?? 10_000;
    if (!Number.isInteger(max) || max < 0) {
      throw new InvalidArgumentError('maxFinishedExecutions must be a non-negative integer');
    }
    this.#maxFinished = max;
    this.#now = options.now ?? (() => new Date());
  }

  #iso(): string {
    return this.#now().toISOString();
  }

  // ── workflow definitions ─────────────────────────────────────────────

  async saveWorkflow(
    plan: WorkflowPlan,
    scope: TenantScope = {},
  ): Promise<{ workflow: StoredWorkflow; created: boolean }> {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    const k = key(tenantId, plan.workflowId);
    let record = this.#workflows.get(k);
    if (!record) {
      record = { versions: [], current: null };
      this.#workflows.set(k, record);
    }
    let stored = record.versions.find((v) => v.version === plan.version);
    const created = !stored;
    if (!stored) {
      stored = {
        tenantId,
        workflowId: plan.workflowId,
        version: plan.version,
        definition: copy(plan.definition),
        createdAt: this.#iso(),
      };
      record.versions.push(stored);
    }
    record.current = plan.version;
    return { workflow: copy(stored), created };
  }

  async getWorkflow(
    workflowId: string,
    options: TenantScope & { version?: string } = {},
  ): Promise<StoredWorkflow | null> {
    const record = this.#workflows.get(key(options.tenantId, workflowId));
    if (!record) return null;
    const version = options.version ?? record.current;
    if (version === null) return null;
    const stored = record.versions.find((v) => v.version === version);
    return stored ? copy(stored) : null;
  }

  async listWorkflows(
    scope: TenantScope & { allTenants?: boolean } = {},
  ): Promise<StoredWorkflow[]> {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    const out: StoredWorkflow[] = [];
    for (const record of this.#workflows.values()) {
      const current = record.versions.find((v) => v.version === record.current);
      if (current && (scope.allTenants || current.tenantId === tenantId)) out.push(copy(current));
    }
    const order = (w: StoredWorkflow) => `${w.tenantId}\u0000${w.workflowId}`;
    return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  }

  async listWorkflowVersions(
    workflowId: string,
    scope: TenantScope = {},
  ): Promise<StoredWorkflow[]> {
    return copy(this.#workflows.get(key(scope.tenantId, workflowId))?.versions ?? []);
  }

  async deleteWorkflow(workflowId: string, scope: TenantScope = {}): Promise<boolean> {
    const record = this.#workflows.get(key(scope.tenantId, workflowId));
    if (!record || record.current === null) return false;
    record.current = null;
    return true;
  }

  // ── executions ───────────────────────────────────────────────────────

  async createExecution(input: CreateExecutionInput): Promise<CreateExecutionResult> {
    const tenantId = input.tenantId ?? DEFAULT_TENANT;
    if (input.idempotencyKey !== undefined) {
      const existing = this.#idempotency.get(key(tenantId, input.idempotencyKey));
      const record = existing === undefined ? undefined : this.#executions.get(existing);
      if (record) return { execution: view(record), created: false, ready: [] };
    }
    const executionId = input.executionId ?? randomUUID();
    if (this.#executions.has(executionId)) {
      throw new InvalidArgumentError(`execution '${executionId}' already exists`);
    }
    const { plan } = input;
    const start = startExecution(plan);
    const now = this.#iso();
    const nodeResults: Record<string, NodeState> = {};
    for (const id of plan.nodeIds) nodeResults[id] = { status: 'pending', attempts: 0 };
    const started = start.ready.filter((id) => input.start?.includes(id));
    for (const id of start.ready) nodeResults[id]!.status = 'queued';
    for (const id of started) nodeResults[id] = { status: 'running', attempts: 1, startedAt: now };
    for (const { nodeId, reason } of start.skipped) {
      nodeResults[nodeId] = { status: 'skipped', attempts: 0, skipReason: reason, finishedAt: now };
    }
    const state: ExecutionState = {
      executionId,
      workflowId: plan.workflowId,
      workflowVersion: plan.version,
      tenantId,
      status: started.length > 0 ? 'running' : 'pending',
      nodeResults,
      initialData: copy(input.initialData),
      createdAt: now,
      depth: input.depth ?? 0,
      metadata: copy(input.metadata ?? {}),
      version: 0,
    };
    if (started.length > 0) state.startedAt = now;
    if (input.parentExecutionId !== undefined) state.parentExecutionId = input.parentExecutionId;
    if (input.parentNodeId !== undefined) state.parentNodeId = input.parentNodeId;
    if (input.priority !== undefined) state.priority = input.priority;
    if (input.idempotencyKey !== undefined) {
      state.idempotencyKey = input.idempotencyKey;
      this.#idempotency.set(key(tenantId, input.idempotencyKey), executionId);
    }
    this.#executions.set(executionId, {
      state,
      remaining: start.remaining,
      openParents: new OpenParentCounts(plan),
      data: new Map(),
      seq: ++this.#seq,
    });
    const result: CreateExecutionResult = {
      execution: copy(state),
      created: true,
      ready: [...start.ready],
    };
    if (input.start !== undefined) result.started = started;
    return result;
  }

  async getExecution(executionId: string): Promise<ExecutionState | null> {
    const record = this.#executions.get(executionId);
    return record ? view(record) : null;
  }

  async getExecutionSummary(executionId: string): Promise<ExecutionSummary | null> {
    const record = this.#executions.get(executionId);
    return record ? summary(record.state) : null;
  }

  async listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionPage> {
    const limit = pageLimit(filter.limit, EXECUTION_PAGE);
    const before = Number(parseSeqCursor(filter.cursor) ?? Number.POSITIVE_INFINITY);
    const tenantId = filter.tenantId ?? DEFAULT_TENANT;
    const statuses =
      filter.status === undefined
        ? undefined
        : new Set(Array.isArray(filter.status) ? filter.status : [filter.status]);
    const matches = [...this.#executions.values()]
      .filter(
        ({ state, seq }) =>
          seq < before &&
          state.tenantId === tenantId &&
          (filter.workflowId === undefined || state.workflowId === filter.workflowId) &&
          (statuses === undefined || statuses.has(state.status)) &&
          (filter.parentExecutionId === undefined ||
            state.parentExecutionId === filter.parentExecutionId),
      )
      .sort((a, b) => b.seq - a.seq);
    const page = matches.slice(0, limit);
    const result: ExecutionPage = { items: page.map((r) => summary(r.state)) };
    if (matches.length > limit) result.nextCursor = String(page[page.length - 1]!.seq);
    return result;
  }

  async beginNodeRun(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    attempt?: number,
  ): Promise<BeginNodeRunResult> {
    const record = this.#executions.get(executionId);
    if (!record) return { started: false, reason: 'not-found' };
    const { state } = record;
    if (state.status !== 'pending' && state.status !== 'running') {
      return { started: false, reason: 'execution-not-active', executionStatus: state.status };
    }
    const node = state.nodeResults[nodeId];
    if (!node || !isInFlightNodeStatus(node.status)) {
      const result: BeginNodeRunResult = {
        started: false,
        reason: 'node-not-runnable',
        executionStatus: state.status,
      };
      if (node) result.nodeStatus = node.status;
      return result;
    }
    const now = this.#iso();
    node.status = 'running';
    node.attempts = attempt ?? node.attempts + 1;
    node.startedAt = now;
    if (state.status === 'pending') {
      state.status = 'running';
      state.startedAt = now;
      state.version += 1;
    }
    // Fresh objects only: parents' outputs are parsed from their text, and an entry node's
    // input is this copy of the initial data (one object, as the PostgreSQL store returns).
    const initialData = copy(state.initialData);
    const input = resolveNodeInput(plan, nodeId, (id) => withData(record, id), initialData);
    const result: BeginNodeRunResult = {
      started: true,
      attempt: node.attempts,
      inputData: input.inputData,
      previousResults: input.previousResults,
      initialData,
      tenantId: state.tenantId,
      depth: state.depth,
    };
    if (state.parentExecutionId !== undefined) result.parentExecutionId = state.parentExecutionId;
    if (state.priority !== undefined) result.priority = state.priority;
    return result;
  }

  async completeNode(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    outcome: NodeOutcome,
    telemetry?: NodeTelemetry,
    options?: CompleteNodeOptions,
  ): Promise<CompleteNodeResult> {
    const result = this.#completeNode(plan, executionId, nodeId, outcome, options?.start);
    if (telemetry) await this.recordSpan(telemetry.span, telemetry.logs);
    return result;
  }

  /** The transition, without awaiting anything: atomic on the event loop. */
  #completeNode(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    outcome: NodeOutcome,
    start: readonly string[] | undefined,
  ): CompleteNodeResult {
    const record = this.#executions.get(executionId);
    if (!record) throw new ExecutionNotFoundError(executionId);
    const { state } = record;
    const node = state.nodeResults[nodeId];
    const notRecorded: CompleteNodeResult = {
      recorded: false,
      ready: [],
      skipped: [],
      executionStatus: state.status,
      finished: false,
    };
    if (
      isTerminalStatus(state.status) ||
      !node ||
      isSettled(node.status) ||
      node.status === 'cancelled'
    ) {
      return notRecorded;
    }
    // Serialized before anything changes: an output JSON cannot hold fails the call cleanly.
    const data =
      outcome.type === 'skipped' || outcome.data === undefined
        ? undefined
        : toJsonText(outcome.data, `data of node '${nodeId}'`);
    const t = applyNodeOutcome(
      plan,
      (id) => state.nodeResults[id],
      nodeId,
      outcome,
      record.remaining,
      record.openParents,
    );
    record.openParents.record(t);
    const now = this.#iso();
    for (const s of t.settled) {
      const n = state.nodeResults[s.nodeId]!;
      n.status = s.status;
      n.finishedAt = now;
      if (s.skipReason !== undefined) n.skipReason = s.skipReason;
      if (s.continuedOnFail) n.continuedOnFail = true;
    }
    if (data !== undefined) record.data.set(nodeId, data);
    if (outcome.type === 'completed') {
      if (outcome.nextNodes !== undefined) node.nextNodes = [...outcome.nextNodes];
      delete node.error;
    } else if (outcome.type === 'failed') {
      node.error = outcome.error;
    }
    const started: string[] = [];
    for (const id of t.ready) {
      const ready = state.nodeResults[id]!;
      // A paused execution's ready nodes wait for its resume.
      if (state.status !== 'paused' && start?.includes(id)) {
        ready.status = 'running';
        ready.attempts = 1;
        ready.startedAt = now;
        started.push(id);
      } else {
        ready.status = 'queued';
      }
    }
    record.remaining = t.remaining;
    let finished = false;
    if (t.status === 'completed') {
      this.#finish(record, 'completed', now);
      finished = true;
    } else if (t.status === 'failed') {
      this.#finish(
        record,
        'failed',
        now,
        `Node '${nodeId}' failed: ${outcome.type === 'failed' ? outcome.error : ''}`,
      );
      finished = true;
    }
    const result: CompleteNodeResult = {
      recorded: true,
      ready: [...t.ready],
      skipped: t.skipped,
      executionStatus: state.status,
      finished,
    };
    if (start !== undefined) result.started = started;
    return result;
  }

  async setNodeStatus(
    executionId: string,
    nodeId: string,
    status: 'queued' | 'delayed' | 'waiting',
    options: { error?: string } = {},
  ): Promise<boolean> {
    const record = this.#executions.get(executionId);
    const node = record?.state.nodeResults[nodeId];
    if (!record || !node || isTerminalStatus(record.state.status)) return false;
    if (isFinalNodeStatus(node.status)) return false;
    node.status = status;
    if (options.error !== undefined) node.error = options.error;
    return true;
  }

  async setExecutionStatus(
    executionId: string,
    status: ExecutionStatus,
    options: SetStatusOptions = {},
  ): Promise<ExecutionState> {
    const record = this.#executions.get(executionId);
    if (!record) throw new ExecutionNotFoundError(executionId);
    const { state } = record;
    if (options.expectedVersion !== undefined && options.expectedVersion !== state.version) {
      throw new VersionConflictError(executionId, options.expectedVersion, state.version);
    }
    assertStatusChange(state.status, status);
    const now = this.#iso();
    if (isTerminalStatus(status)) {
      this.#finish(record, status, now, options.error);
    } else {
      state.status = status;
      if (status === 'running' && state.startedAt === undefined) state.startedAt = now;
      if (options.error !== undefined) state.error = options.error;
      state.version += 1;
    }
    return view(record);
  }

  /** Moves an execution to a terminal status and cancels its unfinished nodes. */
  #finish(record: ExecutionRecord, status: ExecutionStatus, now: string, error?: string): void {
    const { state } = record;
    state.status = status;
    state.completedAt = now;
    state.version += 1;
    if (error !== undefined) state.error = error;
    const { cancelsNode } = statusChangeEffects(status);
    for (const node of Object.values(state.nodeResults)) {
      if (cancelsNode(node.status)) {
        node.status = 'cancelled';
        node.finishedAt = now;
      }
    }
    this.#finished.delete(state.executionId);
    this.#finished.set(state.executionId, true);
    this.#evictFinished();
  }

  #evictFinished(): void {
    while (this.#finished.size > this.#maxFinished) {
      const oldest = this.#finished.keys().next().value as string;
      this.#delete(oldest);
    }
  }

  #delete(executionId: string): void {
    const record = this.#executions.get(executionId);
    if (record?.state.idempotencyKey !== undefined) {
      this.#idempotency.delete(key(record.state.tenantId, record.state.idempotencyKey));
    }
    this.#executions.delete(executionId);
    this.#finished.delete(executionId);
    this.#logs.delete(executionId);
    this.#spans.delete(executionId);
  }

  async updateExecutionMetadata(
    executionId: string,
    patch: Record<string, unknown>,
    options: { expectedVersion?: number } = {},
  ): Promise<ExecutionState> {
    const record = this.#executions.get(executionId);
    if (!record) throw new ExecutionNotFoundError(executionId);
    const { state } = record;
    if (options.expectedVersion !== undefined && options.expectedVersion !== state.version) {
      throw new VersionConflictError(executionId, options.expectedVersion, state.version);
    }
    state.metadata = { ...state.metadata, ...copy(patch) };
    state.version += 1;
    return view(record);
  }

  async retryFailedNode(executionId: string, nodeId: string): Promise<{ ready: string[] } | null> {
    const record = this.#executions.get(executionId);
    if (!record) return null;
    const { state } = record;
    const node = state.nodeResults[nodeId];
    if (state.status !== 'failed' || !node || node.status !== 'failed' || node.continuedOnFail)
      return null;
    const ready = [nodeId];
    for (const [id, n] of Object.entries(state.nodeResults)) {
      if (n.status === 'cancelled') ready.push(id);
    }
    for (const id of ready) {
      const n = state.nodeResults[id]!;
      n.status = 'queued';
      delete n.finishedAt;
      delete n.error;
    }
    state.status = 'running';
    delete state.error;
    delete state.completedAt;
    state.version += 1;
    this.#finished.delete(executionId);
    return { ready };
  }

  async listActiveNodes(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ActiveNodePage> {
    const limit = pageLimit(options.limit, ACTIVE_NODE_PAGE);
    const after = parseSeqKeyCursor(options.cursor);
    const afterSeq = after === undefined ? 0 : Number(after.seq);
    const afterNode = after?.key;
    const items: ActiveNode[] = [];
    const records = [...this.#executions.values()]
      .filter((r) => isActiveExecutionStatus(r.state.status) && r.seq >= afterSeq)
      .sort((a, b) => a.seq - b.seq);
    for (const { state, seq } of records) {
      // Node ids in code-unit order, the order the cursor compares in.
      const nodeIds = Object.keys(state.nodeResults).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const nodeId of nodeIds) {
        const node = state.nodeResults[nodeId]!;
        if (seq === afterSeq && afterNode !== undefined && nodeId <= afterNode) continue;
        if (node.status !== 'queued' && node.status !== 'running' && node.status !== 'delayed')
          continue;
        if (items.length === limit) {
          const last = items[items.length - 1]!;
          return {
            items,
            nextCursor: seqKeyCursor(this.#executions.get(last.executionId)!.seq, last.nodeId),
          };
        }
        const item: ActiveNode = {
          executionId: state.executionId,
          tenantId: state.tenantId,
          workflowId: state.workflowId,
          workflowVersion: state.workflowVersion,
          nodeId,
          status: node.status,
          attempts: node.attempts,
          createdAt: state.createdAt,
        };
        if (state.priority !== undefined) item.priority = state.priority;
        items.push(item);
      }
    }
    return { items };
  }

  async purgeExecutions(options: { finishedBefore: string; limit?: number }): Promise<number> {
    const limit = options.limit ?? 1000;
    const cutoff = Date.parse(options.finishedBefore);
    if (Number.isNaN(cutoff))
      throw new InvalidArgumentError(`invalid date '${options.finishedBefore}'`);
    const victims = [...this.#finished.keys()]
      .map((id) => this.#executions.get(id)!)
      .filter((r) => Date.parse(r.state.completedAt!) < cutoff)
      .sort((a, b) => Date.parse(a.state.completedAt!) - Date.parse(b.state.completedAt!))
      .slice(0, limit);
    for (const r of victims) this.#delete(r.state.executionId);
    return victims.length;
  }

  // ── logs and traces ──────────────────────────────────────────────────

  async appendLogs(entries: LogEntry[]): Promise<void> {
    for (const entry of entries) {
      let list = this.#logs.get(entry.executionId);
      if (!list) {
        list = [];
        this.#logs.set(entry.executionId, list);
      }
      list.push(copyLogEntry(entry));
    }
  }

  async getLogs(executionId: string, options: { limit?: number } = {}): Promise<LogEntry[]> {
    const list = this.#logs.get(executionId) ?? [];
    return copy(options.limit === undefined ? list : list.slice(0, options.limit));
  }

  async recordSpan(span: Span, logs: LogEntry[] = []): Promise<void> {
    await this.appendLogs(logs);
    let spans = this.#spans.get(span.executionId);
    if (!spans) {
      spans = new Map();
      this.#spans.set(span.executionId, spans);
    }
    // Every field of a span is a string or a number: a shallow copy is a full one.
    spans.set(span.spanId, { ...span });
  }

  async getSpans(executionId: string): Promise<Span[]> {
    const spans = [...(this.#spans.get(executionId)?.values() ?? [])];
    return copy(spans.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)));
  }

  // ── dead letter queue ────────────────────────────────────────────────

  async addDLQItem(input: NewDLQItem): Promise<DLQItem> {
    const item: DLQItem = {
      ...copy(input),
      tenantId: input.tenantId ?? DEFAULT_TENANT,
      id: randomUUID(),
      failedAt: input.failedAt ?? this.#iso(),
    };
    this.#dlq.set(item.id, { item, seq: ++this.#seq });
    return copy(item);
  }

  async listDLQItems(filter: DLQFilter = {}): Promise<DLQPage> {
    const limit = pageLimit(filter.limit, DLQ_PAGE);
    const before = Number(parseSeqCursor(filter.cursor) ?? Number.POSITIVE_INFINITY);
    const matches = this.#dlqOf(filter)
      .filter(({ seq }) => seq < before)
      .sort((a, b) => b.seq - a.seq);
    const page = matches.slice(0, limit);
    const result: DLQPage = { items: copy(page.map(({ item }) => item)) };
    if (matches.length > limit) result.nextCursor = String(page[page.length - 1]!.seq);
    return result;
  }

  async countDLQItems(scope: TenantScope & { allTenants?: boolean } = {}): Promise<number> {
    return this.#dlqOf(scope).length;
  }

  #dlqOf(scope: TenantScope & { allTenants?: boolean }): { item: DLQItem; seq: number }[] {
    const tenantId = scope.tenantId ?? DEFAULT_TENANT;
    return [...this.#dlq.values()].filter(
      ({ item }) => scope.allTenants || item.tenantId === tenantId,
    );
  }

  async getDLQItem(id: string): Promise<DLQItem | null> {
    const entry = this.#dlq.get(id);
    return entry ? copy(entry.item) : null;
  }

  async removeDLQItem(id: string): Promise<boolean> {
    return this.#dlq.delete(id);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}

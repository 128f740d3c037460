import { randomUUID } from 'node:crypto';
import { checkNewSignal, isoTime } from '@spane/core/internal';
import {
  type ActiveNodePage,
  type BeginNodeRunResult,
  type CompleteNodeOptions,
  type CompleteNodeResult,
  type CreateExecutionInput,
  type CreateExecutionResult,
  DEFAULT_TENANT,
  type DLQFilter,
  type DLQItem,
  type DLQPage,
  type ExecutionFilter,
  ExecutionNotFoundError,
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
  type SetStatusOptions,
  type Span,
  type StoreCapabilities,
  type StoredWorkflow,
  type TenantScope,
  type WorkflowPlan,
} from '@spane/core/store';
import { listActiveNodes, listExecutions } from './execution-listing.js';
import { createExecutionRecord, type ExecutionRecord, summary, view } from './execution-records.js';
import { changeExecutionStatus, patchMetadata, reopenFailedNode } from './execution-transitions.js';
import { copy } from './json-copy.js';
import { MemoryApiKeys } from './memory-api-keys.js';
import { MemoryDeadLetters } from './memory-dead-letters.js';
import { MemoryRetention } from './memory-retention.js';
import { MemorySecrets } from './memory-secrets.js';
import { MemoryTelemetry } from './memory-telemetry.js';
import { MemoryWorkflows } from './memory-workflows.js';
import { checkRunToken } from './node-run-tokens.js';
import { beginRun, completeRun, setWaitStatus } from './node-run-transitions.js';
import { Sequence } from './sequence.js';
import { tenantKey } from './tenant-key.js';

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

/** What this store can do beyond the required contract. */
const CAPABILITIES: StoreCapabilities = Object.freeze({
  startsNodes: true,
  telemetryWithOutcome: true,
});

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
  /** Execution ids by tenant and idempotency key. */
  readonly #idempotency = new Map<string, string>();
  readonly #sequence = new Sequence();
  readonly #iso: () => string;
  readonly #workflows: MemoryWorkflows;
  readonly #telemetry = new MemoryTelemetry();
  readonly #deadLetters: MemoryDeadLetters;
  readonly #retention: MemoryRetention;
  /** Encrypted secrets and wrapped data keys (ciphertexts only). */
  readonly secrets: MemorySecrets;
  /** API keys created through the API (hashes only). */
  readonly apiKeys: MemoryApiKeys;

  constructor(options: InMemoryExecutionStoreOptions = {}) {
    const max = options.maxFinishedExecutions ?? 10_000;
    if (!Number.isInteger(max) || max < 0) {
      throw new InvalidArgumentError('maxFinishedExecutions must be a non-negative integer');
    }
    const now = options.now ?? (() => new Date());
    this.#iso = () => isoTime(now().getTime());
    this.#workflows = new MemoryWorkflows(this.#iso);
    this.#deadLetters = new MemoryDeadLetters(this.#sequence, this.#iso);
    this.secrets = new MemorySecrets(this.#iso);
    this.apiKeys = new MemoryApiKeys(this.#iso);
    this.#retention = new MemoryRetention(
      { executions: this.#executions, idempotency: this.#idempotency, telemetry: this.#telemetry },
      max,
    );
  }

  // ── workflow definitions ─────────────────────────────────────────────

  async saveWorkflow(
    plan: WorkflowPlan,
    scope: TenantScope = {},
  ): Promise<{ workflow: StoredWorkflow; created: boolean }> {
    return this.#workflows.save(plan, scope);
  }

  async getWorkflow(
    workflowId: string,
    options: TenantScope & { version?: string } = {},
  ): Promise<StoredWorkflow | null> {
    return this.#workflows.get(workflowId, options);
  }

  async listWorkflows(
    scope: TenantScope & { allTenants?: boolean } = {},
  ): Promise<StoredWorkflow[]> {
    return this.#workflows.list(scope);
  }

  async listWorkflowVersions(
    workflowId: string,
    scope: TenantScope = {},
  ): Promise<StoredWorkflow[]> {
    return this.#workflows.versions(workflowId, scope);
  }

  async deleteWorkflow(workflowId: string, scope: TenantScope = {}): Promise<boolean> {
    return this.#workflows.delete(workflowId, scope);
  }

  // ── executions ───────────────────────────────────────────────────────

  async createExecution(input: CreateExecutionInput): Promise<CreateExecutionResult> {
    checkRunToken(input.runToken);
    const tenantId = input.tenantId ?? DEFAULT_TENANT;
    if (input.idempotencyKey !== undefined) {
      const existing = this.#idempotency.get(tenantKey(tenantId, input.idempotencyKey));
      const record = existing === undefined ? undefined : this.#executions.get(existing);
      if (record) return { execution: view(record), created: false, ready: [] };
    }
    const executionId = input.executionId ?? randomUUID();
    if (this.#executions.has(executionId)) {
      throw new InvalidArgumentError(`execution '${executionId}' already exists`);
    }
    const { record, ready, started } = createExecutionRecord(
      input,
      executionId,
      this.#sequence,
      this.#iso,
    );
    if (input.idempotencyKey !== undefined) {
      this.#idempotency.set(tenantKey(tenantId, input.idempotencyKey), executionId);
    }
    this.#executions.set(executionId, record);
    const result: CreateExecutionResult = {
      execution: copy(record.state),
      created: true,
      ready: [...ready],
    };
    if (input.start !== undefined) result.started = started;
    return result;
  }

  async getExecution(executionId: string, tenantId?: string): Promise<ExecutionState | null> {
    const record = this.#record(executionId, tenantId);
    return record ? view(record) : null;
  }

  async getExecutionSummary(
    executionId: string,
    tenantId?: string,
  ): Promise<ExecutionSummary | null> {
    const record = this.#record(executionId, tenantId);
    return record ? summary(record.state) : null;
  }

  /** The execution's record, if it is `tenantId`'s (any tenant's without one) — before any copy. */
  #record(executionId: string, tenantId: string | undefined): ExecutionRecord | undefined {
    const record = this.#executions.get(executionId);
    return tenantId === undefined || record?.state.tenantId === tenantId ? record : undefined;
  }

  async listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionPage> {
    return listExecutions(this.#executions.values(), filter);
  }

  async beginNodeRun(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    attempt?: number,
    runToken?: string,
  ): Promise<BeginNodeRunResult> {
    checkRunToken(runToken);
    const record = this.#executions.get(executionId);
    if (!record) return { started: false, reason: 'not-found' };
    return beginRun(record, plan, nodeId, attempt, runToken, this.#iso);
  }

  async completeNode(
    plan: WorkflowPlan,
    executionId: string,
    nodeId: string,
    outcome: NodeOutcome,
    telemetry?: NodeTelemetry,
    options?: CompleteNodeOptions,
  ): Promise<CompleteNodeResult> {
    checkRunToken(options?.runToken);
    // The transition, without awaiting anything: atomic on the event loop.
    const record = this.#executions.get(executionId);
    if (!record) throw new ExecutionNotFoundError(executionId);
    const result = completeRun(record, plan, nodeId, outcome, options ?? {}, this.#iso);
    if (result.finished) this.#retention.finished(executionId);
    if (telemetry) await this.recordSpan(telemetry.span, telemetry.logs);
    return result;
  }

  async setNodeStatus(
    executionId: string,
    nodeId: string,
    status: 'queued' | 'delayed' | 'waiting',
    options: { error?: string; runToken?: string } = {},
  ): Promise<boolean> {
    checkRunToken(options.runToken);
    const record = this.#executions.get(executionId);
    return record ? setWaitStatus(record, nodeId, status, options) : false;
  }

  async setExecutionStatus(
    executionId: string,
    status: ExecutionStatus,
    options: SetStatusOptions = {},
  ): Promise<ExecutionState> {
    const record = this.#executions.get(executionId);
    if (!record) throw new ExecutionNotFoundError(executionId);
    if (changeExecutionStatus(record, status, options, this.#iso)) {
      this.#retention.finished(executionId);
    }
    return view(record);
  }

  async updateExecutionMetadata(
    executionId: string,
    patch: Record<string, unknown>,
    options: { expectedVersion?: number } = {},
  ): Promise<ExecutionState> {
    const record = this.#executions.get(executionId);
    if (!record) throw new ExecutionNotFoundError(executionId);
    patchMetadata(record, patch, options.expectedVersion);
    return view(record);
  }

  async retryFailedNode(executionId: string, nodeId: string): Promise<{ ready: string[] } | null> {
    const record = this.#executions.get(executionId);
    if (!record) return null;
    const result = reopenFailedNode(record, nodeId);
    if (result) this.#retention.reopened(executionId);
    return result;
  }

  async listActiveNodes(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ActiveNodePage> {
    return listActiveNodes(this.#executions, options);
  }

  // ── signals ──────────────────────────────────────────────────────────

  async recordSignal(
    executionId: string,
    signal: NewExecutionSignal,
    tenantId?: string,
  ): Promise<RecordSignalResult | null> {
    const { name, kind, payloadText } = checkNewSignal(signal);
    const record = this.#record(executionId, tenantId);
    if (!record) return null;
    record.signals ??= new Map();
    const kept = record.signals.get(name);
    if (kept) return { recorded: false, signal: copy(kept) };
    const stored: ExecutionSignal = {
      name,
      kind,
      payload: JSON.parse(payloadText),
      receivedAt: this.#iso(),
    };
    record.signals.set(name, stored);
    return { recorded: true, signal: copy(stored) };
  }

  async getSignal(executionId: string, name: string): Promise<ExecutionSignal | null> {
    const kept = this.#executions.get(executionId)?.signals?.get(name);
    return kept ? copy(kept) : null;
  }

  async purgeExecutions(options: { finishedBefore: string; limit?: number }): Promise<number> {
    return this.#retention.purge(options);
  }

  // ── logs and traces ──────────────────────────────────────────────────

  async appendLogs(entries: LogEntry[]): Promise<void> {
    this.#telemetry.appendLogs(entries);
  }

  async getLogs(executionId: string, options: { limit?: number } = {}): Promise<LogEntry[]> {
    return this.#telemetry.logs(executionId, options.limit);
  }

  async recordSpan(span: Span, logs: LogEntry[] = []): Promise<void> {
    this.#telemetry.recordSpan(span, logs);
  }

  async getSpans(executionId: string): Promise<Span[]> {
    return this.#telemetry.spans(executionId);
  }

  // ── dead letter queue ────────────────────────────────────────────────

  async addDLQItem(input: NewDLQItem): Promise<DLQItem> {
    return this.#deadLetters.add(input);
  }

  async listDLQItems(filter: DLQFilter = {}): Promise<DLQPage> {
    return this.#deadLetters.list(filter);
  }

  async countDLQItems(scope: TenantScope & { allTenants?: boolean } = {}): Promise<number> {
    return this.#deadLetters.count(scope);
  }

  async getDLQItem(id: string, tenantId?: string): Promise<DLQItem | null> {
    return this.#deadLetters.get(id, tenantId);
  }

  async removeDLQItem(id: string): Promise<boolean> {
    return this.#deadLetters.remove(id);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}

import {
  type CreateExecutionInput,
  DEFAULT_TENANT,
  type ExecutionSignal,
  type ExecutionState,
  type ExecutionSummary,
  type NodeState,
  OpenParentCounts,
  startExecution,
} from '@spane/core/store';
import { copy } from './json-copy.js';
import { RunTokens } from './node-run-tokens.js';
import type { Sequence } from './sequence.js';

/** An execution as the store keeps it. */
export interface ExecutionRecord {
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
  /**
   * The run token holding each node that a run holds (fencing; see `node-run-tokens.ts`).
   * Store-internal: never part of `state`, so never returned.
   */
  tokens: RunTokens;
  /** Signals kept for the execution by name (see ExecutionStore.recordSignal), created on first use. */
  signals?: Map<string, ExecutionSignal>;
}

/** A new execution's record, with its ready entry nodes and those of them started. */
export interface NewExecution {
  record: ExecutionRecord;
  /** Entry nodes ready to run (queued, or started). */
  ready: readonly string[];
  /** The ready entry nodes named in `input.start`, created running. */
  started: string[];
}

/**
 * The record of a new execution of `input.plan`: its entry nodes queued (or running when
 * named in `input.start`), the rest pending, or skipped when the plan says so.
 * @param now - the time, as ISO-8601 text.
 */
export function createExecutionRecord(
  input: CreateExecutionInput,
  executionId: string,
  sequence: Sequence,
  now: () => string,
): NewExecution {
  const { plan } = input;
  const start = startExecution(plan);
  const at = now();
  const nodeResults: Record<string, NodeState> = {};
  for (const id of plan.nodeIds) nodeResults[id] = { status: 'pending', attempts: 0 };
  const started = start.ready.filter((id) => input.start?.includes(id));
  for (const id of start.ready) nodeResults[id]!.status = 'queued';
  for (const id of started) nodeResults[id] = { status: 'running', attempts: 1, startedAt: at };
  for (const { nodeId, reason } of start.skipped) {
    nodeResults[nodeId] = { status: 'skipped', attempts: 0, skipReason: reason, finishedAt: at };
  }
  const state: ExecutionState = {
    executionId,
    workflowId: plan.workflowId,
    workflowVersion: plan.version,
    tenantId: input.tenantId ?? DEFAULT_TENANT,
    status: started.length > 0 ? 'running' : 'pending',
    nodeResults,
    initialData: copy(input.initialData),
    createdAt: at,
    depth: input.depth ?? 0,
    metadata: copy(input.metadata ?? {}),
    version: 0,
  };
  if (started.length > 0) state.startedAt = at;
  if (input.parentExecutionId !== undefined) state.parentExecutionId = input.parentExecutionId;
  if (input.parentNodeId !== undefined) state.parentNodeId = input.parentNodeId;
  if (input.priority !== undefined) state.priority = input.priority;
  if (input.idempotencyKey !== undefined) state.idempotencyKey = input.idempotencyKey;
  const record: ExecutionRecord = {
    state,
    remaining: start.remaining,
    openParents: new OpenParentCounts(plan),
    data: new Map(),
    seq: sequence.next(),
    tokens: new RunTokens(),
  };
  if (input.runToken !== undefined) {
    for (const id of started) record.tokens.holdStarted(id, input.runToken);
  }
  return { record, ready: start.ready, started };
}

/** The state as callers see it: a copy, with the node outputs parsed back in. */
export function view(record: ExecutionRecord): ExecutionState {
  const state = copy(record.state);
  for (const [nodeId, text] of record.data) state.nodeResults[nodeId]!.data = JSON.parse(text);
  return state;
}

/** A node's state with its output (parsed, so a fresh copy), for the data-passing rule. */
export function withData(record: ExecutionRecord, nodeId: string): NodeState | undefined {
  const node = record.state.nodeResults[nodeId];
  const text = record.data.get(nodeId);
  return node === undefined || text === undefined ? node : { ...node, data: JSON.parse(text) };
}

/** The state without node results and initial data, as a copy. */
export function summary(state: ExecutionState): ExecutionSummary {
  const { nodeResults: _n, initialData: _i, ...rest } = state;
  return copy(rest);
}

import type { TraceContext, WorkflowPlan } from '@spane/core';

/** Data of one node job: ids only; the node's input is read from the store when it runs. */
export interface NodeJobData {
  /** The execution the node belongs to. */
  executionId: string;
  /** The execution's workflow. */
  workflowId: string;
  /** The workflow version the execution runs. */
  workflowVersion: string;
  /** The node this job runs. */
  nodeId: string;
  /** The execution's tenant. */
  tenantId: string;
  /** Attempts made before this job (non-zero after a DLQ retry or a recovery). */
  attemptsBefore?: number;
  /**
   * A `delay` node's wake time (epoch ms), set when its delay starts; a `wait-for-signal`
   * node's timeout (absent when it waits for ever).
   */
  delayWakeAt?: number;
  /** When that delay (or wait) started (epoch ms). */
  delayStartedAt?: number;
  /** The run token of that delay's (or wait's) run: its wake continues the same run. */
  delayRunToken?: string;
  /** Set when a `wait-for-signal` node starts waiting: a woken job continues that wait. */
  signalWait?: boolean;
  /**
   * The run token a parent's completion (or the execution's creation) started this node
   * under: the job's first processing presents it to `beginNodeRun` and gets that run.
   */
  startToken?: string;
  /**
   * When a worker lacking the node's type first handed the job back (epoch ms; see
   * MissingNodeTypes); cleared when a worker that has the type takes it.
   */
  typeWaitSince?: number;
  /**
   * The W3C trace context the node's span is a child of: its execution's span, or the
   * context the execution was started with (see ExecutionTracing).
   */
  traceContext?: TraceContext;
  /**
   * Siblings this job carries after its own node (see Riders): children of the same
   * completion that found no free worker slot, started by that completion under
   * `riderToken` (each held by `startedRunToken(riderToken, nodeId)`).
   */
  riders?: string[];
  /** The run token of the completion that started {@link NodeJobData.riders}. */
  riderToken?: string;
}

/**
 * The job id of a node run: one id per (execution, node), so adding the job twice (two
 * processes, a recovery pass) is a no-op while it exists. Jobs are removed when they
 * finish, which frees the id for a DLQ retry.
 */
export function nodeJobId(executionId: string, nodeId: string): string {
  return `${executionId}.${nodeId}`;
}

/** Name of a node job (shown in BullMQ tooling): the node's type. */
export function nodeJobName(plan: WorkflowPlan, nodeId: string): string {
  return plan.nodes.get(nodeId)?.type ?? 'node';
}

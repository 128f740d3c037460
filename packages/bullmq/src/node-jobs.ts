import type { WorkflowPlan } from '@spane/core';

/** Data of one node job: ids only; the node's input is read from the store when it runs. */
export interface NodeJobData {
  /** executionId */
  e: string;
  /** workflowId */
  w: string;
  /** workflow version */
  v: string;
  /** nodeId */
  n: string;
  /** tenantId */
  t: string;
  /** attempts made before this job (non-zero after a DLQ retry) */
  a0?: number;
  /** a `delay` node's wake time (epoch ms), set when its delay starts */
  d?: number;
  /** when that delay started (epoch ms) */
  s?: number;
}

/**
 * The job id of a node run: one id per (execution, node), so adding the job twice (two
 * processes, a recovery pass) is a no-op while it exists. Jobs are removed when they
 * finish, which frees the id for a DLQ retry.
 */
export function nodeJobId(executionId: string, nodeId: string): string {
  return `${executionId}.${nodeId}`;
}

/** Job id of an execution's workflow-timeout job. */
export function timeoutJobId(executionId: string): string {
  return `timeout.${executionId}`;
}

/** Name of a node job (shown in BullMQ tooling): the node's type. */
export function nodeJobName(plan: WorkflowPlan, nodeId: string): string {
  return plan.nodes.get(nodeId)?.type ?? 'node';
}

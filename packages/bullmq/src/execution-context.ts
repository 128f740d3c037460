import { type ExecutionContext, type NodeLogger, planNode, type WorkflowPlan } from '@spane/core';
import type { AttemptTelemetry } from './attempt-telemetry.js';
import type { StartedRun } from './started-run.js';
import type { NodeRef } from './sub-workflow-node.js';

/** The attempt a context is for. */
export interface AttemptInfo {
  attempt: number;
  /** The run: its abort signal, made when the executor first reads `ctx.signal`. */
  run: { readonly signal: AbortSignal };
  /** The node's config with its secret references resolved; the plan's when absent. */
  config?: Record<string, unknown> | undefined;
}

/**
 * The context a node's executor receives: the node and its config (a copy, secret
 * references resolved), its input as the store (or a handoff) gave it, the attempt, the
 * abort signal and a logger whose lines go with the attempt's span.
 */
export function executionContext(
  plan: WorkflowPlan,
  base: NodeRef,
  begun: StartedRun,
  { attempt, run, config }: AttemptInfo,
  telemetry: AttemptTelemetry,
): ExecutionContext {
  const node = planNode(plan, base.nodeId);
  const nodeConfig = config ?? node.config;
  const logger: NodeLogger = {
    debug: (m, meta) => telemetry.log('debug', m, meta),
    info: (m, meta) => telemetry.log('info', m, meta),
    warn: (m, meta) => telemetry.log('warn', m, meta),
    error: (m, meta) => telemetry.log('error', m, meta),
  };
  const ctx: ExecutionContext = {
    workflowId: base.workflowId,
    executionId: base.executionId,
    nodeId: base.nodeId,
    nodeType: node.type,
    nodeConfig: nodeConfig === undefined ? {} : structuredClone(nodeConfig),
    inputData: begun.inputData,
    previousResults: begun.previousResults,
    initialData: begun.initialData,
    attempt,
    depth: begun.depth,
    tenantId: begun.tenantId,
    get signal() {
      return run.signal;
    },
    log: logger,
  };
  if (begun.parentExecutionId !== undefined) ctx.parentExecutionId = begun.parentExecutionId;
  const trace = telemetry.otel?.traceContext;
  if (trace !== undefined) ctx.traceContext = { ...trace };
  return ctx;
}

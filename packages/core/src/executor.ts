import type { TraceContext } from './trace-context.js';

/** What a node executor returns. */
export interface ExecutionResult<O = unknown> {
  /** False: the attempt failed (retried per the node's policy unless `retryable` is false). */
  success: boolean;
  /** The node's output: its children's input. */
  data?: O;
  /** Why the attempt failed (with `success: false`). */
  error?: string;
  /** Conditional branching: the children to run; the other children are skipped (`not-selected`). */
  nextNodes?: string[];
  /** `false`: fail now, no further attempts. */
  retryable?: boolean;
}

/** The logger an executor gets; lines go to the execution's logs. */
export interface NodeLogger {
  /** A `debug` line in the execution's logs. */
  debug(message: string, meta?: Record<string, unknown>): void;
  /** An `info` line in the execution's logs. */
  info(message: string, meta?: Record<string, unknown>): void;
  /** A `warn` line in the execution's logs. */
  warn(message: string, meta?: Record<string, unknown>): void;
  /** An `error` line in the execution's logs. */
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Everything an executor knows about the node run it serves. */
export interface ExecutionContext<I = any, C = Record<string, unknown>> {
  /** Id of the workflow being run. */
  workflowId: string;
  /** Id of the execution. */
  executionId: string;
  /** Id of this node in the workflow. */
  nodeId: string;
  /** This node's type (the name the executor is registered under). */
  nodeType: string;
  /** A copy of the node's `config` from the workflow definition (`{}` when it has none). */
  nodeConfig: C;
  /**
   * Entry nodes: the execution's `initialData`. One parent: that parent's `data`.
   * Several parents: `{ [parentId]: data }` of the parents whose edge fired.
   */
  inputData: I;
  /** Results of the direct parents that produced one (skipped parents have none). */
  previousResults: Record<string, ExecutionResult>;
  /** The execution's initial data, whatever the node's position. */
  initialData: unknown;
  /** 1 for the first attempt. `executionId + nodeId + attempt` is a stable idempotency key. */
  attempt: number;
  /** 0 for a top-level execution, parent's depth + 1 for a sub-workflow. */
  depth: number;
  /** Set in a sub-workflow: the execution whose `sub-workflow` node started this one. */
  parentExecutionId?: string;
  /** The execution's tenant. */
  tenantId?: string;
  /** Aborted on cancel, on timeout and when the execution fails. */
  signal: AbortSignal;
  /** Writes lines to the execution's logs (stored with the attempt's span). */
  log: NodeLogger;
  /**
   * The W3C trace context to pass on (e.g. as the `traceparent` header of an outgoing
   * request): with `@opentelemetry/api` installed, that of this attempt's span; without it,
   * the one the execution was started with. Absent when the execution has none.
   */
  traceContext?: TraceContext;
}

/** Runs one node type. Throwing or returning `{ success: false }` is a failed attempt. */
export interface INodeExecutor<I = any, O = any, C = Record<string, unknown>> {
  /** Runs one attempt of a node; may run again for the same attempt after a crash. */
  execute(ctx: ExecutionContext<I, C>): Promise<ExecutionResult<O>>;
}

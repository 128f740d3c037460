/** What a node executor returns. */
export interface ExecutionResult<O = unknown> {
  success: boolean;
  data?: O;
  error?: string;
  /** Conditional branching: the children to run; the other children are skipped (`not-selected`). */
  nextNodes?: string[];
  /** `false`: fail now, no further attempts. */
  retryable?: boolean;
}

/** The logger an executor gets; lines go to the execution's logs. */
export interface NodeLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Everything an executor knows about the node run it serves. */
export interface ExecutionContext<I = any, C = Record<string, unknown>> {
  workflowId: string;
  executionId: string;
  nodeId: string;
  nodeType: string;
  /** The node's `config`, secrets already resolved; never logged. */
  nodeConfig: C;
  /**
   * Entry nodes: the execution's `initialData`. One parent: that parent's `data`.
   * Several parents: `{ [parentId]: data }` of the parents whose edge fired.
   */
  inputData: I;
  /** Results of the direct parents that produced one (skipped parents have none). */
  previousResults: Record<string, ExecutionResult>;
  initialData: unknown;
  /** 1 for the first attempt. `executionId + nodeId + attempt` is a stable idempotency key. */
  attempt: number;
  /** 0 for a top-level execution, parent's depth + 1 for a sub-workflow. */
  depth: number;
  parentExecutionId?: string;
  tenantId?: string;
  /** Aborted on cancel, on timeout and when the execution fails. */
  signal: AbortSignal;
  log: NodeLogger;
}

/** Runs one node type. Throwing or returning `{ success: false }` is a failed attempt. */
export interface INodeExecutor<I = any, O = any, C = Record<string, unknown>> {
  execute(ctx: ExecutionContext<I, C>): Promise<ExecutionResult<O>>;
}

// Type-only views of the API's JSON, taken from @spane/core so the two cannot drift apart
// (erased at build time: the bundle contains none of core's code).
export type {
  DLQItem,
  ExecutionExplanation,
  ExecutionPage,
  ExecutionState,
  ExecutionStatus,
  ExecutionSummary,
  NodeDefinition,
  NodeExplanation,
  NodeState,
  NodeStatus,
  QueueStats,
  SkipReason,
  StoredWorkflow,
  Trigger,
  WorkflowDefinition,
} from '@spane/core';

/** The error body every API error answers with. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

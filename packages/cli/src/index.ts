export type {
  ApiKeyInfo,
  ApiKeyScope,
  CreatedApiKey,
  DLQItem,
  ExecutionState,
  ExecutionStatus,
  ExecutionSummary,
  NewApiKey,
  NodeState,
  SecretInfo,
  StoredWorkflow,
  ValidationIssue,
  WorkflowDefinition,
  WorkflowNode,
} from './api-types.js';
export { runCli } from './cli.js';
export {
  type ExecutionListFilter,
  type ExecutionPage,
  type Query,
  type RequestOptions,
  SpaneClient,
  type SpaneClientOptions,
} from './client.js';
export { SpaneApiError, SpaneUnreachableError } from './client-errors.js';
export { type CliIo, EXIT, type TextOutput } from './command.js';

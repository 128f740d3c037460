/**
 * `@spane/core/store` — everything a store adapter needs, in one documented entry: the
 * {@link ExecutionStore} contract and its types, the readiness rules every store applies
 * (`startExecution`, `applyNodeOutcome`, `resolveNodeInput`, `OpenParentCounts`), the
 * execution lifecycle and its effects on nodes (`assertStatusChange`,
 * `statusChangeEffects`), the named status sets, page and cursor handling, and JSON text
 * for stored data. A third-party adapter imports from here and passes
 * `@spane/store-testkit`. Part of the public API (semver).
 */
export type {
  ApiKeyRecord,
  ApiKeyRecordStore,
  ApiKeyScope,
  NewApiKeyRecord,
} from './api-key-records.js';
export { toJsonText } from './canonical-json.js';
export {
  DLQItemNotFoundError,
  ExecutionNotFoundError,
  InvalidArgumentError,
  InvalidTransitionError,
  NodeAlreadySettledError,
  VersionConflictError,
} from './errors.js';
export type {
  DLQItem,
  ExecutionState,
  ExecutionStatus,
  LogEntry,
  NodeState,
  NodeStatus,
  SkipReason,
  Span,
} from './execution-schema.js';
export type {
  ExecutionSignal,
  NewExecutionSignal,
  RecordSignalResult,
} from './execution-signals.js';
export {
  type ActiveNode,
  type ActiveNodePage,
  type BeginNodeRunResult,
  type CompleteNodeOptions,
  type CompleteNodeResult,
  type CreateExecutionInput,
  type CreateExecutionResult,
  DEFAULT_TENANT,
  type DLQFilter,
  type DLQPage,
  type ExecutionFilter,
  type ExecutionPage,
  type ExecutionStore,
  type ExecutionSummary,
  type NewDLQItem,
  type NodeTelemetry,
  type SetStatusOptions,
  type StoreCapabilities,
  type StoredWorkflow,
  type TenantScope,
} from './execution-store.js';
export {
  ACTIVE_NODE_PAGE,
  DLQ_PAGE,
  EXECUTION_PAGE,
  type PageBounds,
  pageLimit,
  parseSeqCursor,
  parseSeqKeyCursor,
  seqKeyCursor,
} from './page.js';
export { startedRunToken } from './run-token.js';
export {
  checkSecretName,
  MAX_SECRET_NAME_LENGTH,
  type NewSecretRecord,
  parseSecretCursor,
  SECRET_PAGE,
  type SecretInfo,
  type SecretPage,
  type SecretRecord,
  type SecretStore,
  type WrappedDataKey,
} from './secret-store.js';
export {
  ACTIVE_EXECUTION_STATUSES,
  FINAL_NODE_STATUSES,
  IN_FLIGHT_NODE_STATUSES,
  isActiveExecutionStatus,
  isFinalNodeStatus,
  isInFlightNodeStatus,
  isSettled,
  isTerminalStatus,
  SCHEDULED_NODE_STATUSES,
  SETTLED_NODE_STATUSES,
  TERMINAL_EXECUTION_STATUSES,
} from './status-sets.js';
export {
  assertStatusChange,
  assertTransition,
  canTransition,
  type StatusChangeEffects,
  statusChangeEffects,
} from './status-transitions.js';
export { parseTimeBound } from './time-bound.js';
export {
  applyNodeOutcome,
  edgeFired,
  type NodeInput,
  type NodeLookup,
  type NodeOutcome,
  type NodeSnapshot,
  OpenParentCounts,
  type ParentResult,
  resolveNodeInput,
  type SettledNode,
  type StartTransition,
  startExecution,
  type TransitionResult,
} from './transition.js';
export { planNode, type WorkflowPlan } from './workflow-plan.js';

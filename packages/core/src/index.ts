export type {
  ApiKeyRecord,
  ApiKeyRecordStore,
  ApiKeyScope,
  NewApiKeyRecord,
} from './api-key-records.js';
export {
  type DelayNodeConfig,
  DelayNodeConfigSchema,
  type HttpNodeConfig,
  HttpNodeConfigSchema,
  MAX_MAP_CONCURRENCY,
  type MapNodeConfig,
  MapNodeConfigSchema,
  type NoopNodeConfig,
  NoopNodeConfigSchema,
  type SubWorkflowNodeConfig,
  SubWorkflowNodeConfigSchema,
  type SwitchNodeConfig,
  SwitchNodeConfigSchema,
  type TransformNodeConfig,
  TransformNodeConfigSchema,
  type WaitForSignalNodeConfig,
  WaitForSignalNodeConfigSchema,
} from './built-in-node-schemas.js';
export {
  type BuiltInNodeTypes,
  builtInNodeTypes,
  type DelayNodeBuilderConfig,
} from './built-in-node-types.js';
export { canonicalJson, contentHash } from './canonical-json.js';
export {
  type DependencyName,
  type DependencyStatus,
  type DependencyWatch,
  isConnectionError,
} from './dependencies.js';
export {
  deletePath,
  getPath,
  hasPath,
  MAX_PATH_INDEX,
  parsePath,
  readablePathProblem,
  setPath,
  settablePathProblem,
} from './dotted-path.js';
export {
  type BreakerChange,
  type BreakerState,
  type BreakerStatus,
  ENGINE_EVENT_NAMES,
  type EngineEventInput,
  type EngineEventListener,
  type EngineEventMap,
  type EngineEventName,
  type ExecutionEventName,
} from './engine-events.js';
export {
  CycleDetectedError,
  DependencyUnavailableError,
  DepthLimitExceededError,
  DLQItemNotFoundError,
  DuplicateDeliveryError,
  EngineClosedError,
  EnqueueFailedError,
  EnqueueOutcomeUnknownError,
  ExecutionNotFoundError,
  InvalidArgumentError,
  InvalidSignatureError,
  InvalidTransitionError,
  isSpaneError,
  NodeAlreadySettledError,
  NodeNotFoundError,
  NodeRunCancelledError,
  type NodeRunCancelReason,
  NodeTimeoutError,
  NodeTypeAlreadyRegisteredError,
  NodeTypeNotRegisteredError,
  NonRetryableError,
  PayloadNotStorableError,
  PayloadTooLargeError,
  QuotaExceededError,
  type QuotaName,
  SecretNotFoundError,
  SecretsDisabledError,
  SpaneError,
  type SpaneErrorCode,
  type ValidationIssue,
  VersionConflictError,
  WebhookNotFoundError,
  WorkflowNotFoundError,
  WorkflowValidationError,
} from './errors.js';
export {
  type ExecutionExplanation,
  ExecutionExplanationSchema,
  type NodeExplanation,
  NodeExplanationSchema,
  type NodeWaitReason,
  type NodeWaitReasonKind,
  NodeWaitReasonSchema,
} from './execution-explanation.js';
export {
  type DLQItem,
  DLQItemSchema,
  type ExecutionState,
  ExecutionStateSchema,
  type ExecutionStatus,
  ExecutionStatusSchema,
  type LogEntry,
  LogEntrySchema,
  type LogLevel,
  type NodeState,
  NodeStateSchema,
  type NodeStatus,
  NodeStatusSchema,
  type SkipReason,
  SkipReasonSchema,
  type Span,
  SpanSchema,
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
export type { ExecutionContext, ExecutionResult, INodeExecutor, NodeLogger } from './executor.js';
export {
  type CompileJsonSchemaOptions,
  compileJsonSchema,
  formatSchemaProblems,
  type JsonSchema,
  type JsonSchemaCheck,
  MAX_SCHEMA_PROBLEMS,
  type SchemaProblem,
  type SchemaWords,
} from './json-schema-check.js';
export {
  assertPayloadSize,
  DEFAULT_LIMITS,
  ID_PATTERN,
  MAX_DELAY_NODE_MS,
  MAX_JSON_DEPTH,
  MAX_TIMEOUT_MS,
  MAX_WORKFLOW_TIMEOUT_MS,
  type SpaneLimits,
} from './limits.js';
export { type MasterKey, parseMasterKeys } from './master-keys.js';
export {
  type BreakerOptions,
  NodeRegistry,
  type NodeTypeChecks,
  type NodeTypeOptions,
  type NodeTypeRegistration,
} from './node-registry.js';
export {
  type AnyNodeTypeDefinition,
  type ConfigOfSchema,
  defineNodeType,
  type NodeConfigOf,
  type NodeTypeDefinition,
  type NodeTypeDefinitionOptions,
  type SchemaStatic,
  type TypedExecute,
} from './node-type-definition.js';
export { type NodeTypeInfo, nodeTypeInfo } from './node-type-info.js';
export {
  DEFAULT_RETRY_POLICY,
  isRetryPolicy,
  resolveRetryPolicy,
  retryDelayMs,
} from './retry-policy.js';
export { startedRunToken } from './run-token.js';
export {
  describesSecretRefs,
  type FoundSecretRef,
  findSecretRefs,
  isSecretRef,
  replaceSecretRefs,
  SECRET_MASK,
  SECRET_REF_KEY,
  Secretable,
  type SecretRef,
  type SecretRefScan,
  SecretRefSchema,
} from './secret-refs.js';
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
export { MAX_SECRET_VALUE_BYTES, SecretVault, type SecretVaultOptions } from './secret-vault.js';
export {
  SignalRejectedError,
  type SignalRejection,
  UnknownSignalError,
} from './signal-errors.js';
export { isSettled, isTerminalStatus } from './status-sets.js';
export { assertTransition, canTransition } from './status-transitions.js';
export { type TraceContext, traceContextOf } from './trace-context.js';
export { switchConfigProblems, transformConfigProblems } from './transform-config-checks.js';
export {
  applyNodeOutcome,
  type NodeInput,
  type NodeLookup,
  type NodeOutcome,
  type NodeSnapshot,
  type ParentResult,
  resolveNodeInput,
  type SettledNode,
  type StartTransition,
  startExecution,
  type TransitionResult,
} from './transition.js';
export {
  assertValidWorkflow,
  type ValidateWorkflowOptions,
  validateWorkflow,
  type WorkflowValidationResult,
} from './validate-workflow.js';
export {
  defineWorkflow,
  type NewNodeId,
  type NodeSpec,
  type NodeSpecArgs,
  type WorkflowBuilder,
  type WorkflowOptions,
} from './workflow-builder.js';
export type {
  EngineFaultCounts,
  EngineHealth,
  EnqueueOptions,
  IWorkflowEngine,
  QueueStats,
  WorkerFleet,
  WorkerInfo,
} from './workflow-engine.js';
export {
  buildGraph,
  findCycles,
  reachableFrom,
  topologicalOrder,
  type WorkflowGraph,
} from './workflow-graph.js';
export { compileWorkflow, planNode, type WorkflowPlan } from './workflow-plan.js';
export {
  type EventTrigger,
  EventTriggerSchema,
  type HttpMethod,
  type NodeDefinition,
  NodeDefinitionSchema,
  type RetryPolicy,
  RetryPolicySchema,
  type ScheduleTrigger,
  ScheduleTriggerSchema,
  type Trigger,
  TriggerSchema,
  type WebhookTrigger,
  WebhookTriggerSchema,
  type WorkflowDefinition,
  WorkflowDefinitionSchema,
} from './workflow-schema.js';
export { type DefinitionSecretRef, definitionSecretRefs } from './workflow-secret-checks.js';

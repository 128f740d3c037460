/**
 * Errors thrown by SPANE packages. Every error has a stable `code` (part of the public
 * contract: the HTTP layer maps codes to status codes) and carries its data as fields.
 *
 * `instanceof` works across two copies of `@spane/core` in one process (for example a
 * store adapter that bundles its own copy): each class brands its instances with a
 * `Symbol.for` key and checks that brand in `Symbol.hasInstance`.
 */

import type { DependencyName } from './dependencies.js';

/** Stable error codes of SPANE. */
export type SpaneErrorCode =
  | 'VALIDATION_FAILED'
  | 'CYCLE_DETECTED'
  | 'WORKFLOW_NOT_FOUND'
  | 'EXECUTION_NOT_FOUND'
  | 'NODE_NOT_FOUND'
  | 'NODE_TYPE_NOT_REGISTERED'
  | 'NODE_TYPE_ALREADY_REGISTERED'
  | 'DLQ_ITEM_NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'VERSION_CONFLICT'
  | 'NODE_ALREADY_SETTLED'
  | 'PAYLOAD_TOO_LARGE'
  | 'PAYLOAD_NOT_STORABLE'
  | 'INVALID_ARGUMENT'
  | 'NON_RETRYABLE'
  | 'NODE_TIMEOUT'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'DEPTH_LIMIT_EXCEEDED'
  | 'WEBHOOK_NOT_FOUND'
  | 'INVALID_SIGNATURE'
  | 'DUPLICATE_DELIVERY'
  | 'ENGINE_CLOSED'
  | 'ENQUEUE_FAILED'
  | 'ENQUEUE_OUTCOME_UNKNOWN'
  | 'SECRET_NOT_FOUND'
  | 'SECRETS_DISABLED'
  | 'UNKNOWN_SIGNAL'
  | 'SIGNAL_REJECTED'
  | 'QUOTA_EXCEEDED'
  | 'UNAVAILABLE';

const BRAND_PREFIX = 'spane.error.';

function brandOf(name: string): symbol {
  return Symbol.for(BRAND_PREFIX + name);
}

/**
 * Makes `instanceof Cls` true for any object branded with `Cls`'s name, whichever copy of
 * the module created it. Subclass instances carry the brands of every ancestor. (Exported
 * for the error modules of this package; not part of its public API.)
 */
export function brandClass(cls: abstract new (...args: never[]) => SpaneError, name: string): void {
  const brand = brandOf(name);
  Object.defineProperty(cls.prototype, brand, { value: true, enumerable: false });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, instance: unknown): boolean {
      // A subclass that is not branded (e.g. `class MyError extends SpaneError` outside this
      // module) inherits this method; it gets the ordinary prototype-chain check.
      if (this !== cls) return Function.prototype[Symbol.hasInstance].call(this as never, instance);
      return (
        typeof instance === 'object' &&
        instance !== null &&
        (instance as Record<symbol, unknown>)[brand] === true
      );
    },
  });
}

/** Base of every SPANE error. */
export class SpaneError extends Error {
  /** Stable, machine-readable code. */
  readonly code: SpaneErrorCode;
  /** Extra data for callers (serialised as `details` by the HTTP layer). */
  readonly details?: unknown;

  constructor(
    code: SpaneErrorCode,
    message: string,
    options?: { cause?: unknown; details?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }

  /** A plain object for logs and HTTP bodies. */
  toJSON(): { code: SpaneErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
brandClass(SpaneError, 'SpaneError');

/** One problem found in a workflow definition. `path` is a JSON pointer into the definition. */
export interface ValidationIssue {
  /** JSON pointer into the definition (`''` for the whole of it). */
  path: string;
  /** Stable code, e.g. `CYCLE` or `UNKNOWN_NODE_TYPE`. */
  code: string;
  /** What is wrong, for people. */
  message: string;
  /** `warning` (e.g. an unreachable node) does not make the definition invalid. */
  severity: 'error' | 'warning';
}

/** A workflow definition was rejected; `issues` lists every error found (warnings too). */
export class WorkflowValidationError extends SpaneError {
  /** Every issue found, warnings included. */
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], code: SpaneErrorCode = 'VALIDATION_FAILED') {
    const errors = issues.filter((i) => i.severity === 'error');
    const first = errors[0];
    const summary = first ? `${first.path || '/'}: ${first.message}` : 'invalid workflow';
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(code, `Invalid workflow definition: ${summary}${more}`, { details: { issues } });
    this.issues = issues;
  }
}
brandClass(WorkflowValidationError, 'WorkflowValidationError');

/** The graph has a cycle; `path` lists its node ids, first id repeated at the end. */
export class CycleDetectedError extends WorkflowValidationError {
  /** Node ids of the cycle, the first repeated at the end. */
  readonly path: readonly string[];
  constructor(path: readonly string[]) {
    super(
      [
        {
          path: '/nodes',
          code: 'CYCLE',
          message: `cycle: ${path.join(' -> ')}`,
          severity: 'error',
        },
      ],
      'CYCLE_DETECTED',
    );
    this.path = path;
  }
}
brandClass(CycleDetectedError, 'CycleDetectedError');

/** No such workflow (or version) in the tenant. Code `WORKFLOW_NOT_FOUND`. */
export class WorkflowNotFoundError extends SpaneError {
  /** The workflow asked for. */
  readonly workflowId: string;
  /** The version asked for, when one was. */
  readonly workflowVersion?: string;
  constructor(workflowId: string, workflowVersion?: string) {
    super(
      'WORKFLOW_NOT_FOUND',
      workflowVersion === undefined
        ? `Workflow '${workflowId}' not found`
        : `Workflow '${workflowId}' version '${workflowVersion}' not found`,
      { details: { workflowId, workflowVersion } },
    );
    this.workflowId = workflowId;
    if (workflowVersion !== undefined) this.workflowVersion = workflowVersion;
  }
}
brandClass(WorkflowNotFoundError, 'WorkflowNotFoundError');

/** No such execution (or not in the caller's tenant). Code `EXECUTION_NOT_FOUND`. */
export class ExecutionNotFoundError extends SpaneError {
  /** The execution asked for. */
  readonly executionId: string;
  constructor(executionId: string) {
    super('EXECUTION_NOT_FOUND', `Execution '${executionId}' not found`, {
      details: { executionId },
    });
    this.executionId = executionId;
  }
}
brandClass(ExecutionNotFoundError, 'ExecutionNotFoundError');

/** No node with that id in the workflow or execution. Code `NODE_NOT_FOUND`. */
export class NodeNotFoundError extends SpaneError {
  /** The node asked for. */
  readonly nodeId: string;
  constructor(nodeId: string, where: string) {
    super('NODE_NOT_FOUND', `Node '${nodeId}' not found in ${where}`, { details: { nodeId } });
    this.nodeId = nodeId;
  }
}
brandClass(NodeNotFoundError, 'NodeNotFoundError');

/** No executor is registered for the node type. Code `NODE_TYPE_NOT_REGISTERED`. */
export class NodeTypeNotRegisteredError extends SpaneError {
  /** The unknown type. */
  readonly nodeType: string;
  constructor(nodeType: string) {
    super('NODE_TYPE_NOT_REGISTERED', `Node type '${nodeType}' is not registered`, {
      details: { nodeType },
    });
    this.nodeType = nodeType;
  }
}
brandClass(NodeTypeNotRegisteredError, 'NodeTypeNotRegisteredError');

/** `NodeRegistry.register` was called twice for one type. Code `NODE_TYPE_ALREADY_REGISTERED`. */
export class NodeTypeAlreadyRegisteredError extends SpaneError {
  /** The type registered twice. */
  readonly nodeType: string;
  constructor(nodeType: string) {
    super('NODE_TYPE_ALREADY_REGISTERED', `Node type '${nodeType}' is already registered`, {
      details: { nodeType },
    });
    this.nodeType = nodeType;
  }
}
brandClass(NodeTypeAlreadyRegisteredError, 'NodeTypeAlreadyRegisteredError');

/** No dead-letter item with that id (or not in the caller's tenant). Code `DLQ_ITEM_NOT_FOUND`. */
export class DLQItemNotFoundError extends SpaneError {
  /** The item asked for. */
  readonly itemId: string;
  constructor(itemId: string) {
    super('DLQ_ITEM_NOT_FOUND', `Dead letter item '${itemId}' not found`, { details: { itemId } });
    this.itemId = itemId;
  }
}
brandClass(DLQItemNotFoundError, 'DLQItemNotFoundError');

/** A status change that the lifecycle does not allow (cancel a completed run, …). HTTP 409. */
export class InvalidTransitionError extends SpaneError {
  /** The current status. */
  readonly from: string;
  /** The status asked for. */
  readonly to: string;
  constructor(from: string, to: string, subject = 'execution') {
    super('INVALID_TRANSITION', `Cannot move ${subject} from '${from}' to '${to}'`, {
      details: { from, to },
    });
    this.from = from;
    this.to = to;
  }
}
brandClass(InvalidTransitionError, 'InvalidTransitionError');

/** Optimistic-lock failure: the execution's `version` was not the expected one. HTTP 409. */
export class VersionConflictError extends SpaneError {
  /** The execution. */
  readonly executionId: string;
  /** The version the caller expected. */
  readonly expectedVersion: number;
  /** The execution's version now. */
  readonly actualVersion: number;
  constructor(executionId: string, expectedVersion: number, actualVersion: number) {
    super(
      'VERSION_CONFLICT',
      `Execution '${executionId}' is at version ${actualVersion}, expected ${expectedVersion}`,
      { details: { executionId, expectedVersion, actualVersion } },
    );
    this.executionId = executionId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}
brandClass(VersionConflictError, 'VersionConflictError');

/** A node result was offered for a node that is already settled (a programming error). */
export class NodeAlreadySettledError extends SpaneError {
  /** The node. */
  readonly nodeId: string;
  /** Its settled status. */
  readonly status: string;
  constructor(nodeId: string, status: string) {
    super('NODE_ALREADY_SETTLED', `Node '${nodeId}' is already settled (${status})`, {
      details: { nodeId, status },
    });
    this.nodeId = nodeId;
    this.status = status;
  }
}
brandClass(NodeAlreadySettledError, 'NodeAlreadySettledError');

/**
 * A payload (initial data, node output) is larger than the configured limit. HTTP 413.
 * The check stops counting once the limit is passed, so `actualBytes` may be a lower bound
 * (`atLeast`: the message says "at least").
 */
export class PayloadTooLargeError extends SpaneError {
  /** The limit, in bytes of JSON. */
  readonly limitBytes: number;
  /** The payload's size, in bytes of JSON — or, when `atLeast`, the bytes counted before the check stopped (already over the limit). */
  readonly actualBytes: number;
  constructor(what: string, limitBytes: number, actualBytes: number, atLeast = false) {
    const size = atLeast ? `at least ${actualBytes}` : `${actualBytes}`;
    super('PAYLOAD_TOO_LARGE', `${what} is ${size} bytes; the limit is ${limitBytes}`, {
      details: { limitBytes, actualBytes },
    });
    this.limitBytes = limitBytes;
    this.actualBytes = actualBytes;
  }
}
brandClass(PayloadTooLargeError, 'PayloadTooLargeError');

/**
 * A payload (initial data, node output, an event's payload) holds something that cannot be
 * stored as JSON unchanged: a `BigInt`, a function, a symbol, a circular reference, a
 * `toJSON` that throws, a string or key containing U+0000, or nesting deeper than
 * `MAX_JSON_DEPTH`. Refused before anything is stored: a request gets it as HTTP 400, and
 * a node whose output it is fails at once, without retries (retrying cannot help).
 */
export class PayloadNotStorableError extends SpaneError {
  /** JSON pointer into the payload to the offending part (`''`: the payload, or not known). */
  readonly path: string;
  /** What is wrong, e.g. `a BigInt`. */
  readonly reason: string;
  constructor(what: string, reason: string, path: string) {
    const at = path === '' ? '' : ` at ${path}`;
    super('PAYLOAD_NOT_STORABLE', `${what} cannot be stored as JSON: ${reason}${at}`, {
      details: { path, reason },
    });
    this.path = path;
    this.reason = reason;
  }
}
brandClass(PayloadNotStorableError, 'PayloadNotStorableError');

/** An argument is out of range or of the wrong shape. HTTP 400. */
export class InvalidArgumentError extends SpaneError {
  constructor(message: string, details?: unknown) {
    super('INVALID_ARGUMENT', message, details === undefined ? undefined : { details });
  }
}
brandClass(InvalidArgumentError, 'InvalidArgumentError');

/**
 * Thrown by an executor to fail the node at once, with no further attempts
 * (the same as returning `{ success: false, retryable: false }`).
 */
export class NonRetryableError extends SpaneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NON_RETRYABLE', message, options);
  }
}
brandClass(NonRetryableError, 'NonRetryableError');

/** A node attempt ran longer than its `timeoutMs`. Retried per the node's policy. */
export class NodeTimeoutError extends SpaneError {
  /** The timeout that ran out. */
  readonly timeoutMs: number;
  constructor(nodeId: string, timeoutMs: number) {
    super('NODE_TIMEOUT', `Node '${nodeId}' timed out after ${timeoutMs} ms`, {
      details: { nodeId, timeoutMs },
    });
    this.timeoutMs = timeoutMs;
  }
}
brandClass(NodeTimeoutError, 'NodeTimeoutError');

/**
 * Why a running node was told to stop by the engine (not by its own code): its execution
 * was cancelled (`cancelled`, also by a workflow timeout), failed on another node
 * (`failed`), its worker is shutting down (`shutdown`), or its worker lost the job's lock
 * (`lock-lost`: the node runs again elsewhere and this run's outcome would be refused).
 */
export type NodeRunCancelReason = 'cancelled' | 'failed' | 'shutdown' | 'lock-lost';

/**
 * The reason of `ctx.signal` when the engine stops a running node: a framework outcome,
 * not the node's failure and not a bad argument. (A node's own timeout aborts the signal
 * with {@link NodeTimeoutError} instead.) Its `name` is `AbortError`, as for other aborts.
 */
export class NodeRunCancelledError extends SpaneError {
  /** Why the run was stopped. */
  readonly reason: NodeRunCancelReason;
  constructor(reason: NodeRunCancelReason) {
    super('CANCELLED', cancelMessage(reason), {
      details: { reason },
    });
    this.name = 'AbortError';
    this.reason = reason;
  }
}
brandClass(NodeRunCancelledError, 'NodeRunCancelledError');

function cancelMessage(reason: NodeRunCancelReason): string {
  if (reason === 'shutdown') return 'worker shutting down';
  if (reason === 'lock-lost') return "the worker lost the node's lock; it runs again elsewhere";
  return `execution ${reason}`;
}

/** Sub-workflow nesting went past the depth limit. */
export class DepthLimitExceededError extends SpaneError {
  /** The depth the child would have had. */
  readonly depth: number;
  /** The configured `maxDepth`. */
  readonly limit: number;
  constructor(depth: number, limit: number) {
    super('DEPTH_LIMIT_EXCEEDED', `Sub-workflow depth ${depth} exceeds the limit of ${limit}`, {
      details: { depth, limit },
    });
    this.depth = depth;
    this.limit = limit;
  }
}
brandClass(DepthLimitExceededError, 'DepthLimitExceededError');

/** The tenant has no secret of this name. HTTP 404. */
export class SecretNotFoundError extends SpaneError {
  /** The secret's name. */
  readonly secretName: string;
  constructor(secretName: string) {
    super('SECRET_NOT_FOUND', `No secret named '${secretName}'`, { details: { name: secretName } });
    this.secretName = secretName;
  }
}
brandClass(SecretNotFoundError, 'SecretNotFoundError');

/**
 * Secrets were asked for but none can be kept: no master key is configured, or the store
 * has no `secrets`. HTTP 409.
 */
export class SecretsDisabledError extends SpaneError {
  constructor(reason: string) {
    super('SECRETS_DISABLED', `Secrets are not available: ${reason}`);
  }
}
brandClass(SecretsDisabledError, 'SecretsDisabledError');

/** No workflow has a webhook trigger for this path and method. HTTP 404. */
export class WebhookNotFoundError extends SpaneError {
  /** The path asked for (without leading slash). */
  readonly path: string;
  /** The HTTP method asked for. */
  readonly method: string;
  constructor(path: string, method: string) {
    super('WEBHOOK_NOT_FOUND', `No webhook for ${method} /${path}`, { details: { path, method } });
    this.path = path;
    this.method = method;
  }
}
brandClass(WebhookNotFoundError, 'WebhookNotFoundError');

/** A webhook delivery's HMAC signature is missing, malformed, wrong or too old. HTTP 401. */
export class InvalidSignatureError extends SpaneError {
  constructor(reason: string) {
    super('INVALID_SIGNATURE', `Invalid webhook signature: ${reason}`);
  }
}
brandClass(InvalidSignatureError, 'InvalidSignatureError');

/** A webhook delivery id was seen before; nothing was started. HTTP 409. */
export class DuplicateDeliveryError extends SpaneError {
  /** The repeated `x-spane-delivery` id. */
  readonly deliveryId: string;
  constructor(deliveryId: string) {
    super('DUPLICATE_DELIVERY', `Webhook delivery '${deliveryId}' was already received`, {
      details: { deliveryId },
    });
    this.deliveryId = deliveryId;
  }
}
brandClass(DuplicateDeliveryError, 'DuplicateDeliveryError');

/**
 * The engine is closed (or closing): the call was refused before it changed anything.
 * HTTP 503.
 */
export class EngineClosedError extends SpaneError {
  constructor() {
    super('ENGINE_CLOSED', 'the engine is closed');
  }
}
brandClass(EngineClosedError, 'EngineClosedError');

/**
 * Starting an execution failed (Redis did not take its first jobs, or the store did not
 * create it) and nothing of it will run: an execution that was created is `cancelled`,
 * with the reason as its error. Retrying the call is safe. HTTP 503.
 */
export class EnqueueFailedError extends SpaneError {
  /** Executions that were created and then cancelled (may be empty). */
  readonly executionIds: readonly string[];
  constructor(executionIds: readonly string[], cause: unknown) {
    super(
      'ENQUEUE_FAILED',
      `could not start the execution: ${causeText(cause)}; nothing will run`,
      {
        cause,
        details: { executionIds },
      },
    );
    this.executionIds = executionIds;
  }
}
brandClass(EnqueueFailedError, 'EnqueueFailedError');

/**
 * Starting an execution failed half-way and the engine cannot tell whether it will run:
 * it may exist with its first jobs not (yet) queued (an idempotency key keeps it so that a
 * retry can finish it), or the store did not answer. A retry of the same call with the
 * same `idempotencyKey` is safe: it returns the same execution and queues what is
 * missing. HTTP 503.
 */
export class EnqueueOutcomeUnknownError extends SpaneError {
  /** The executions that may exist (ids known to the engine; may be empty). */
  readonly executionIds: readonly string[];
  constructor(executionIds: readonly string[], cause: unknown) {
    super(
      'ENQUEUE_OUTCOME_UNKNOWN',
      `starting the execution failed half-way (${causeText(cause)}); it may still run: retry with the same idempotencyKey to finish it`,
      { cause, details: { executionIds } },
    );
    this.executionIds = executionIds;
  }
}
brandClass(EnqueueOutcomeUnknownError, 'EnqueueOutcomeUnknownError');

/** The per-tenant quotas a {@link QuotaExceededError} can name. */
export type QuotaName = 'activeExecutions' | 'workflows' | 'schedules';

/**
 * A tenant reached one of its quotas (see the engine's `quotas` option): the call was
 * refused before it changed anything. HTTP 429 `QUOTA_EXCEEDED`. `current` is what the
 * tenant has now (its active executions, registered workflows or schedule triggers),
 * `requested` how many more the call asked for.
 */
export class QuotaExceededError extends SpaneError {
  /** The quota reached. */
  readonly quota: QuotaName;
  /** The tenant's limit for it. */
  readonly limit: number;
  /** What the tenant has now. */
  readonly current: number;
  /** How many more the refused call asked for. */
  readonly requested: number;
  constructor(quota: QuotaName, limit: number, current: number, requested = 1) {
    super(
      'QUOTA_EXCEEDED',
      `Quota exceeded: ${QUOTA_TEXT[quota]} ${current} of at most ${limit}; this call needs ${requested} more`,
      { details: { quota, limit, current, requested } },
    );
    this.quota = quota;
    this.limit = limit;
    this.current = current;
    this.requested = requested;
  }
}
brandClass(QuotaExceededError, 'QuotaExceededError');

const QUOTA_TEXT: Readonly<Record<QuotaName, string>> = {
  activeExecutions: 'the tenant has active executions (pending, running or paused):',
  workflows: 'the tenant has registered workflows:',
  schedules: "the tenant's workflows have schedule triggers:",
};

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Redis or the execution store does not answer (the engine's dependency monitor says it is
 * down, or a call failed on a lost connection): the call was refused or its outcome is
 * unknown; try again after `retryAfterSeconds`. HTTP 503 `UNAVAILABLE` with `Retry-After`.
 */
export class DependencyUnavailableError extends SpaneError {
  /** The parts that are down. */
  readonly dependencies: readonly DependencyName[];
  /** When to try again, in seconds (the `Retry-After` of the HTTP answer). */
  readonly retryAfterSeconds: number;
  constructor(dependencies: readonly DependencyName[], retryAfterSeconds = 1, cause?: unknown) {
    super('UNAVAILABLE', `${dependencies.join(' and ')} unavailable; try again`, {
      cause,
      details: { dependencies, retryAfterSeconds },
    });
    this.dependencies = dependencies;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
brandClass(DependencyUnavailableError, 'DependencyUnavailableError');

/** True for any SPANE error (from any copy of this package) with the given code. */
export function isSpaneError(error: unknown, code?: SpaneErrorCode): error is SpaneError {
  return error instanceof SpaneError && (code === undefined || error.code === code);
}

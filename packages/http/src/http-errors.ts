import { isConnectionError, isSpaneError, type SpaneErrorCode } from '@spane/core';

/** The body of every error response: `{ "error": { "code", "message", "details"? } }`. */
export interface ErrorBody {
  /** Stable `code`, a `message` for people, and `details` for some codes. */
  error: { code: string; message: string; details?: unknown };
}

/**
 * An error raised by the HTTP layer itself (authentication, scopes, malformed bodies,
 * readiness), with its status, stable code and optional response headers.
 */
export class HttpError extends Error {
  /** HTTP status of the response. */
  readonly statusCode: number;
  /** Stable error code (`error.code` of the body). */
  readonly code: string;
  /** `error.details` of the body, when given. */
  readonly details?: unknown;
  /** Response headers to set (e.g. `WWW-Authenticate`, `Allow`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

/**
 * HTTP status of every SpaneError code: the one place where engine errors become status
 * codes. A `Record` over the code union, so a code added to core fails the typecheck here
 * until it is given a status.
 */
export const STATUS_BY_SPANE_CODE: Readonly<Record<SpaneErrorCode, number>> = Object.freeze({
  VALIDATION_FAILED: 422,
  CYCLE_DETECTED: 422,
  NODE_TYPE_NOT_REGISTERED: 422,
  DEPTH_LIMIT_EXCEEDED: 422,
  WORKFLOW_NOT_FOUND: 404,
  EXECUTION_NOT_FOUND: 404,
  NODE_NOT_FOUND: 404,
  DLQ_ITEM_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  SECRET_NOT_FOUND: 404,
  UNKNOWN_SIGNAL: 404,
  INVALID_TRANSITION: 409,
  VERSION_CONFLICT: 409,
  DUPLICATE_DELIVERY: 409,
  NODE_TYPE_ALREADY_REGISTERED: 409,
  NODE_ALREADY_SETTLED: 409,
  // A second signal of a name, or one after the wait ended.
  SIGNAL_REJECTED: 409,
  // No master key configured, or a store without secrets: a server setting, not bad input.
  SECRETS_DISABLED: 409,
  // A node run stopped by the engine (its execution cancelled or failed): the request
  // raced a change of the execution's state.
  CANCELLED: 409,
  PAYLOAD_TOO_LARGE: 413,
  // Data a store cannot hold unchanged (a BigInt, U+0000, nesting too deep, …): bad input.
  PAYLOAD_NOT_STORABLE: 400,
  INVALID_ARGUMENT: 400,
  INVALID_SIGNATURE: 401,
  // A wait on the server's side (e.g. for an execution) ran out: a gateway timeout, not
  // a slow client (408).
  TIMEOUT: 504,
  NODE_TIMEOUT: 504,
  // The engine is shutting down, or Redis/the store did not take a start: try again
  // (with the same idempotency key after ENQUEUE_OUTCOME_UNKNOWN).
  ENGINE_CLOSED: 503,
  ENQUEUE_FAILED: 503,
  ENQUEUE_OUTCOME_UNKNOWN: 503,
  // A tenant reached a quota (active executions, workflows, schedules): nothing changed.
  QUOTA_EXCEEDED: 429,
  // Redis or the store is down (the engine's dependency monitor), with `Retry-After`.
  UNAVAILABLE: 503,
  // Raised by executors inside workers; reaching a request means a bug, so it is internal.
  NON_RETRYABLE: 500,
});

/** Codes of statuses that fastify (or Node) raises itself, by status. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = Object.freeze({
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
  503: 'UNAVAILABLE',
});

/** What an error becomes on the wire. `internal` errors are logged and never shown. */
export interface HttpErrorResponse {
  /** HTTP status. */
  statusCode: number;
  /** The JSON body. */
  body: ErrorBody;
  /** Headers to set. */
  headers: Readonly<Record<string, string>>;
  /** True for an unexpected error: answered as 500 `INTERNAL` without its message, and logged. */
  internal: boolean;
}

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { additionalProperty?: unknown };
}

/** One problem of a request part: where (a JSON pointer from the part's name) and what. */
export interface RequestIssue {
  /** E.g. `/body/options/priority`, `/body/order` (an unknown field), `/querystring/limit`. */
  path: string;
  /** What is wrong there. */
  message: string;
}

/** A JSON pointer token (RFC 6901): `~` and `/` escaped. */
function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * A field of a request part that its schema does not know, as an issue: the path names
 * the field itself (`/body/order`), not the object that holds it.
 */
export function unknownFieldIssue(where: string, objectPath: string, key: string): RequestIssue {
  return { path: `/${where}${objectPath}/${pointerToken(key)}`, message: 'is not a known field' };
}

/**
 * The 400 `BAD_REQUEST` of a request that breaks its schema: `message` lists every issue,
 * `details.issues` has them as `{ path, message }`.
 */
export function invalidRequestError(where: string, issues: RequestIssue[]): HttpError {
  return new HttpError(
    400,
    'BAD_REQUEST',
    `Invalid ${where}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    { details: { issues } },
  );
}

/** An Ajv error of a request part (fastify's `error.validation`) as an issue. */
function issueOfAjv(where: string, v: AjvIssue): RequestIssue {
  const unknown = v.params?.additionalProperty;
  if (v.keyword === 'additionalProperties' && typeof unknown === 'string') {
    return unknownFieldIssue(where, v.instancePath ?? '', unknown);
  }
  return { path: `/${where}${v.instancePath ?? ''}`, message: v.message ?? 'is invalid' };
}

const INTERNAL: ErrorBody = {
  error: { code: 'INTERNAL', message: 'Internal server error' },
};

/**
 * Turns any error into a response: SpaneErrors by {@link STATUS_BY_SPANE_CODE}, HTTP-layer
 * errors as raised, fastify's own 4xx errors (schema validation, body too large, media
 * type) by their status; anything else is a 500 with a generic message.
 */
export function toHttpErrorResponse(error: unknown): HttpErrorResponse {
  if (isSpaneError(error)) {
    const statusCode = STATUS_BY_SPANE_CODE[error.code] ?? 500;
    if (statusCode >= 500 && statusCode !== 503 && statusCode !== 504) {
      return { statusCode: 500, body: INTERNAL, headers: {}, internal: true };
    }
    const retry = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    const headers: Record<string, string> =
      error.code === 'UNAVAILABLE' ? { 'retry-after': String(retry ?? 1) } : {};
    return { statusCode, body: { error: error.toJSON() }, headers, internal: false };
  }
  if (isConnectionError(error)) {
    // A call that failed on a lost Redis or store connection: try again, not a bug.
    const body = {
      error: { code: 'UNAVAILABLE', message: 'Redis or the store did not answer; try again' },
    };
    return { statusCode: 503, body, headers: { 'retry-after': '1' }, internal: false };
  }
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { statusCode: error.statusCode, body, headers: error.headers, internal: false };
  }
  if (typeof error === 'object' && error !== null) {
    const e = error as {
      statusCode?: unknown;
      message?: unknown;
      validation?: AjvIssue[];
      validationContext?: string;
    };
    if (Array.isArray(e.validation)) {
      const where = e.validationContext ?? 'request';
      return toHttpErrorResponse(
        invalidRequestError(
          where,
          e.validation.map((v) => issueOfAjv(where, v)),
        ),
      );
    }
    const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
    if (status >= 400 && status < 500) {
      const message = typeof e.message === 'string' ? e.message : 'Bad request';
      return {
        statusCode: status,
        body: { error: { code: CODE_BY_STATUS[status] ?? 'BAD_REQUEST', message } },
        headers: {},
        internal: false,
      };
    }
  }
  return { statusCode: 500, body: INTERNAL, headers: {}, internal: true };
}

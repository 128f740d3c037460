import type { ValidationIssue } from './api-types.js';

/**
 * The server answered with an error status. `code` and `message` come from the API's
 * error body (`{ error: { code, message, details } }`); a response without one (a proxy's
 * page, say) gets the code `HTTP_<status>` and the start of its text.
 */
export class SpaneApiError extends Error {
  /** HTTP status of the response. */
  readonly status: number;
  /** Stable error code, e.g. `WORKFLOW_NOT_FOUND`. */
  readonly code: string;
  /** `error.details` of the body, when given. */
  readonly details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'SpaneApiError';
    this.status = status;
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  /** The issues in `details.issues` (a rejected definition or request), or none. */
  get issues(): ValidationIssue[] {
    const issues = (this.details as { issues?: unknown } | undefined)?.issues;
    if (!Array.isArray(issues)) return [];
    return issues.filter(
      (i): i is ValidationIssue =>
        typeof i === 'object' &&
        i !== null &&
        typeof (i as ValidationIssue).path === 'string' &&
        typeof (i as ValidationIssue).message === 'string',
    );
  }
}

/** No answer from the server: refused, unknown host, reset, or the request timed out. */
export class SpaneUnreachableError extends Error {
  /** The URL that was asked. */
  readonly url: string;
  /** What went wrong, e.g. `ECONNREFUSED` or `no answer within 30 s`. */
  readonly reason: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot reach the SPANE server at ${url} (${reason})`, options);
    this.name = 'SpaneUnreachableError';
    this.url = url;
    this.reason = reason;
  }
}

/** The code (`ECONNREFUSED`, …) or message of a failed `fetch`, for people. */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  for (const e of [cause, err]) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, errors } = e as { code?: unknown; errors?: unknown };
    if (typeof code === 'string') return code;
    // Happy eyeballs: an AggregateError of one error per address.
    if (Array.isArray(errors)) {
      const first = errors.find((x) => typeof (x as { code?: unknown })?.code === 'string');
      if (first) return (first as { code: string }).code;
    }
  }
  const message = cause instanceof Error ? cause.message : (err as Error)?.message;
  return message || 'no answer';
}

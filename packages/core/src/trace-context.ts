/**
 * A W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header of
 * the request that started an execution, carried with its node jobs and handed to every
 * node as `ctx.traceContext` (with OpenTelemetry installed, the context of the node
 * attempt's own span).
 */
export interface TraceContext {
  /** `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
  traceparent: string;
  /** The vendor-specific `tracestate` header that came with it, if any. */
  tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The longest `tracestate` kept (the W3C limit is 32 members; longer ones are dropped). */
const MAX_TRACESTATE = 512;

/**
 * The trace context of a request's headers: a valid `traceparent` (version `00`, or a
 * later version read as `00`; an all-zero trace or parent id is invalid), with its
 * `tracestate` when that is at most 512 characters. Undefined when there is none or it is
 * malformed — a bad header never fails a request, as the W3C spec asks.
 */
export function traceContextOf(
  headers: Record<string, string | string[] | undefined> | undefined,
): TraceContext | undefined {
  if (headers === undefined) return undefined;
  const parent = single(headers.traceparent);
  if (parent === undefined) return undefined;
  const value = parent.trim().toLowerCase();
  const m = TRACEPARENT.exec(value);
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  const context: TraceContext = { traceparent: `00-${traceId}-${parentId}-${flags}` };
  const state = single(headers.tracestate)?.trim();
  if (state && state.length <= MAX_TRACESTATE) context.tracestate = state;
  return context;
}

/** One header value (the first of a repeated header). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

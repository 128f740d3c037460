import { type TraceContext, traceContextOf } from '@spane/core';

/** The part of `@opentelemetry/api` this module reads. */
interface TraceApi {
  context: { active(): unknown };
  trace: {
    getSpan(context: unknown):
      | {
          spanContext(): {
            traceId: string;
            spanId: string;
            traceFlags: number;
            traceState?: { serialize(): string };
          };
        }
      | undefined;
  };
  isSpanContextValid(spanContext: { traceId: string; spanId: string }): boolean;
}

/** Request headers as fastify gives them. */
type Headers = Record<string, string | string[] | undefined>;

/**
 * The W3C trace context of a request that starts executions: the span the application's
 * OpenTelemetry HTTP instrumentation opened for it (when `@opentelemetry/api` is installed
 * and a span is active), else the request's own `traceparent` and `tracestate` headers; a
 * malformed header is ignored.
 */
export class RequestTrace {
  #api: TraceApi | null = null;

  /** Looks for `@opentelemetry/api` (an optional peer dependency); without it, headers only. */
  static async create(
    load: () => Promise<unknown> = () => import('@opentelemetry/api'),
  ): Promise<RequestTrace> {
    const trace = new RequestTrace();
    try {
      const api = (await load()) as Partial<TraceApi> | null;
      if (api && typeof api.trace?.getSpan === 'function') trace.#api = api as TraceApi;
    } catch {
      // Not installed: the headers are all there is.
    }
    return trace;
  }

  /** The request's trace context, or undefined when it has none. */
  of(headers: Headers): TraceContext | undefined {
    return this.#active() ?? traceContextOf(headers);
  }

  /**
   * The headers to hand a webhook start: the request's, with `traceparent` (and
   * `tracestate`) of the active span when there is one.
   */
  webhookHeaders(headers: Headers): Headers {
    const active = this.#active();
    if (!active) return headers;
    const out: Headers = { ...headers, traceparent: active.traceparent };
    if (active.tracestate !== undefined) out.tracestate = active.tracestate;
    return out;
  }

  #active(): TraceContext | undefined {
    const api = this.#api;
    const sc = api?.trace.getSpan(api.context.active())?.spanContext();
    if (!api || !sc || !api.isSpanContextValid(sc)) return undefined;
    const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
    const state = sc.traceState?.serialize();
    return traceContextOf({
      traceparent: `00-${sc.traceId}-${sc.spanId}-${flags}`,
      tracestate: state,
    });
  }
}

import type * as OtelApi from '@opentelemetry/api';
import { type TraceContext, traceContextOf } from '@spane/core';

/** `@opentelemetry/api`, as this module uses it. */
type Api = typeof OtelApi;

/**
 * Loads `@opentelemetry/api` when it is installed (an optional peer dependency); null when
 * it is not, or `load` fails otherwise: the engine then runs without spans.
 */
export async function loadOpenTelemetry(
  load: () => Promise<unknown> = () => import('@opentelemetry/api'),
): Promise<Api | null> {
  try {
    const api = (await load()) as Partial<Api> | null;
    return api && typeof api.trace?.getTracer === 'function' ? (api as Api) : null;
  } catch {
    return null;
  }
}

/** The name the engine's tracer is asked for (`trace.getTracer`). */
export const TRACER_NAME = '@spane/bullmq';

/** How many execution spans one process keeps open at most (the oldest are ended first). */
const MAX_OPEN_EXECUTIONS = 10_000;

/** What an execution span is opened with. */
export interface ExecutionSpanInput {
  executionId: string;
  workflowId: string;
  workflowVersion: string;
  tenantId: string;
  depth: number;
  parentExecutionId?: string | undefined;
  /** When the execution started (defaults to now). */
  startedAt?: Date;
}

/** What a node attempt's span is opened with. */
export interface AttemptSpanInput {
  executionId: string;
  workflowId: string;
  tenantId: string;
  nodeId: string;
  nodeType: string;
  attempt: number;
  startedAt: Date;
}

/** A node attempt's span: the context its node passes on, and how it ends. */
export interface AttemptSpan {
  /** The context to give the node (`ctx.traceContext`) and to pass on. */
  readonly traceContext: TraceContext | undefined;
  /** Ends the span (once; later calls do nothing). `running`: the attempt waits on. */
  end(status: 'ok' | 'error' | 'running', error?: string): void;
}

/** The API's own no-op tracer provider (what its proxy delegates to until one is registered). */
const noopProviders = new WeakMap<Api, unknown>();

/** Whether the application registered a tracer provider with `api` (checked on each call). */
function providerRegistered(api: Api): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  if (typeof provider.getDelegate !== 'function') return true;
  let noop = noopProviders.get(api);
  if (noop === undefined) {
    noop = new api.ProxyTracerProvider().getDelegate();
    noopProviders.set(api, noop);
  }
  return provider.getDelegate() !== noop;
}

const NO_SPAN = (traceContext: TraceContext | undefined): AttemptSpan => ({
  traceContext,
  end: () => {},
});

/**
 * SPANE's OpenTelemetry spans: one per execution (a child of the context it was started
 * with, ended when this process hears the execution end) and one per node attempt (a child
 * of the context its job carries: its execution's span). Spans go to whatever tracer
 * provider the application registered with `@opentelemetry/api`; without the package, the
 * trace context an execution was started with is still carried to its nodes unchanged.
 */
export class ExecutionTracing {
  readonly #ready: Promise<Api | null>;
  #api: Api | null = null;
  /** Open execution spans of this process, by execution id (oldest first). */
  readonly #open = new Map<string, OtelApi.Span>();

  constructor(enabled: boolean, load?: () => Promise<unknown>) {
    this.#ready = enabled ? loadOpenTelemetry(load) : Promise.resolve(null);
    this.#ready.then((api) => {
      this.#api = api;
    });
  }

  /** Resolves once `@opentelemetry/api` was looked for; true when it was found. */
  async ready(): Promise<boolean> {
    return (await this.#ready) !== null;
  }

  /**
   * Opens an execution's span (a child of `parent`); returns the context its nodes' jobs
   * carry: the span's, or `parent` itself when no span is recorded.
   */
  async startExecution(
    input: ExecutionSpanInput,
    parent: TraceContext | undefined,
  ): Promise<TraceContext | undefined> {
    const api = await this.#ready;
    if (!api) return parent;
    const attributes: OtelApi.Attributes = {
      'spane.execution_id': input.executionId,
      'spane.workflow_id': input.workflowId,
      'spane.workflow_version': input.workflowVersion,
      'spane.tenant_id': input.tenantId,
      'spane.depth': input.depth,
    };
    if (input.parentExecutionId !== undefined) {
      attributes['spane.parent_execution_id'] = input.parentExecutionId;
    }
    const span = api.trace
      .getTracer(TRACER_NAME)
      .startSpan(
        `execution ${input.workflowId}`,
        { kind: api.SpanKind.INTERNAL, attributes, startTime: input.startedAt ?? new Date() },
        contextOf(api, parent),
      );
    if (!span.isRecording()) return traceContextOfSpan(api, span) ?? parent;
    this.#open.delete(input.executionId);
    this.#open.set(input.executionId, span);
    if (this.#open.size > MAX_OPEN_EXECUTIONS) {
      const [oldest] = this.#open.keys();
      this.#end(oldest!, 'unfinished', 'too many open execution spans');
    }
    return traceContextOfSpan(api, span) ?? parent;
  }

  /**
   * Ends an execution's span if this process opened it: `completed` OK, `failed` with an
   * error status (also a start that failed), `cancelled`, `unfinished` (the engine closes
   * first) and `duplicate` (a start that found its idempotency key's execution) unset.
   */
  endExecution(
    executionId: string,
    outcome: 'completed' | 'failed' | 'cancelled' | 'unfinished' | 'duplicate',
    error?: string,
  ): void {
    this.#end(executionId, outcome, error);
  }

  #end(executionId: string, outcome: string, error?: string): void {
    const span = this.#open.get(executionId);
    const api = this.#api;
    if (!span || !api) return;
    this.#open.delete(executionId);
    span.setAttribute('spane.execution.status', outcome);
    if (outcome === 'completed') span.setStatus({ code: api.SpanStatusCode.OK });
    else if (outcome === 'failed') {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: error ?? 'failed' });
    }
    span.end();
  }

  /** Ends every execution span still open here (`unfinished`): the engine closes. */
  close(): void {
    for (const id of [...this.#open.keys()]) this.#end(id, 'unfinished');
  }

  /**
   * Opens a node attempt's span, a child of `parent` (the context its job carries). Without
   * `@opentelemetry/api` (or before it was found: see {@link ready}) the attempt passes
   * `parent` on as it is. Synchronous: a run awaits nothing between its begin and its start.
   */
  startAttempt(input: AttemptSpanInput, parent: TraceContext | undefined): AttemptSpan {
    const api = this.#api;
    // No tracer provider registered: the API's span would be a no-op carrying `parent`.
    if (!api || !providerRegistered(api)) return NO_SPAN(parent);
    const span = api.trace.getTracer(TRACER_NAME).startSpan(
      `node ${input.nodeId}`,
      {
        kind: api.SpanKind.CONSUMER,
        startTime: input.startedAt,
        attributes: {
          'spane.execution_id': input.executionId,
          'spane.workflow_id': input.workflowId,
          'spane.tenant_id': input.tenantId,
          'spane.node_id': input.nodeId,
          'spane.node_type': input.nodeType,
          'spane.attempt': input.attempt,
        },
      },
      contextOf(api, parent),
    );
    let ended = false;
    const attempt: AttemptSpan = {
      traceContext: traceContextOfSpan(api, span) ?? parent,
      end(status, error) {
        if (ended) return;
        ended = true;
        if (status === 'ok') span.setStatus({ code: api.SpanStatusCode.OK });
        else if (status === 'error') {
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: error ?? 'failed' });
        } else span.setAttribute('spane.node.waiting', true);
        span.end();
      },
    };
    return attempt;
  }
}

/**
 * The trace context an execution was created with (`metadata.traceContext`: its span's),
 * for node jobs queued later (a resume, a DLQ retry, a repair); undefined without one.
 */
export function storedTraceContext(execution: {
  metadata?: Record<string, unknown> | undefined;
}): TraceContext | undefined {
  const stored = execution.metadata?.traceContext as Record<string, unknown> | undefined;
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { traceparent, tracestate } = stored;
  return traceContextOf({
    traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    tracestate: typeof tracestate === 'string' ? tracestate : undefined,
  });
}

/** The OpenTelemetry context of a W3C trace context (the root context without one). */
function contextOf(api: Api, trace: TraceContext | undefined): OtelApi.Context {
  const m = trace && /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(trace.traceparent);
  if (!m) return api.ROOT_CONTEXT;
  const spanContext: OtelApi.SpanContext = {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: Number.parseInt(m[3]!, 16),
    isRemote: true,
  };
  if (trace?.tracestate && typeof api.createTraceState === 'function') {
    spanContext.traceState = api.createTraceState(trace.tracestate);
  }
  return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext);
}

/** A span's W3C trace context; undefined for an invalid (no-op) span. */
function traceContextOfSpan(api: Api, span: OtelApi.Span): TraceContext | undefined {
  const sc = span.spanContext();
  if (!api.isSpanContextValid(sc)) return undefined;
  const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
  const context: TraceContext = { traceparent: `00-${sc.traceId}-${sc.spanId}-${flags}` };
  const state = sc.traceState?.serialize();
  if (state) context.tracestate = state;
  return context;
}

import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { RequestTrace } from '../src/request-trace.js';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEYS,
  until,
  wf,
} from './support/http-harness.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

/** The finished spans of an execution, once its own span and `nodes` node spans ended. */
async function spansOf(executionId: string, nodes: number): Promise<ReadableSpan[]> {
  const spans = await until(() => {
    const found = exporter
      .getFinishedSpans()
      .filter((s) => s.attributes['spane.execution_id'] === executionId);
    return found.length === nodes + 1 ? found : undefined;
  });
  return spans!;
}

it('POST execute: the traceparent header is the execution span’s parent; nodes are its children', async () => {
  h = await createHttpHarness();
  await h.engine.registerWorkflow(
    wf('pair', [
      { id: 'A', type: 'echo' },
      { id: 'B', type: 'echo', inputs: ['A'] },
    ]) as never,
    { tenantId: 'tenant-a' },
  );
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/pair/execute',
    headers: { ...bearer(KEYS.executeA), traceparent: TRACEPARENT, tracestate: 'acme=7' },
    payload: { initialData: { n: 1 } },
  });
  expect(res.statusCode).toBe(202);
  const { executionId } = res.json() as { executionId: string };
  const spans = await spansOf(executionId, 2);
  const execution = spans.find((s) => s.name === 'execution pair')!;
  expect(execution.spanContext().traceId).toBe(TRACE_ID);
  expect(execution.parentSpanContext?.spanId).toBe(PARENT_ID);
  expect(execution.spanContext().traceState?.serialize()).toBe('acme=7');
  expect(execution.attributes['spane.tenant_id']).toBe('tenant-a');
  for (const node of spans.filter((s) => s !== execution)) {
    expect(node.spanContext().traceId).toBe(TRACE_ID);
    expect(node.parentSpanContext?.spanId).toBe(execution.spanContext().spanId);
  }
});

it('POST execute with a malformed traceparent starts the execution with a root span', async () => {
  h = await createHttpHarness();
  await h.engine.registerWorkflow(wf('solo', [{ id: 'A', type: 'echo' }]) as never, {
    tenantId: 'tenant-a',
  });
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/solo/execute',
    headers: { ...bearer(KEYS.executeA), traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01` },
  });
  expect(res.statusCode).toBe(202);
  const spans = await spansOf((res.json() as { executionId: string }).executionId, 1);
  const execution = spans.find((s) => s.name === 'execution solo')!;
  expect(execution.parentSpanContext).toBeUndefined();
  expect(execution.spanContext().traceId).not.toBe('0'.repeat(32));
});

it('a webhook delivery with a traceparent header starts its executions in that trace', async () => {
  h = await createHttpHarness();
  await h.engine.registerWorkflow(
    wf('hooked', [{ id: 'A', type: 'echo' }], {
      triggers: [{ type: 'webhook', path: 'orders' }],
    }) as never,
    { tenantId: 'tenant-a' },
  );
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/webhooks/tenant-a/orders',
    headers: { 'content-type': 'application/json', traceparent: TRACEPARENT },
    payload: { id: 1 },
  });
  expect(res.statusCode).toBe(202);
  const [executionId] = (res.json() as { executionIds: string[] }).executionIds;
  const spans = await spansOf(executionId!, 1);
  const execution = spans.find((s) => s.name === 'execution hooked')!;
  expect(execution.parentSpanContext?.spanId).toBe(PARENT_ID);
});

it('the active span of an instrumented server wins over the header', async () => {
  const requestTrace = await RequestTrace.create();
  const server = trace.getTracer('test').startSpan('POST /api/workflows/:id/execute');
  const active = trace.setSpan(ROOT_CONTEXT, server);
  const { traceId, spanId } = server.spanContext();
  const seen = context.with(active, () => requestTrace.of({ traceparent: TRACEPARENT }));
  server.end();
  expect(seen).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  const headers = context.with(active, () =>
    requestTrace.webhookHeaders({ traceparent: TRACEPARENT, 'x-other': 'kept' }),
  );
  expect(headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, 'x-other': 'kept' });
  // No active span: the header.
  expect(requestTrace.of({ traceparent: TRACEPARENT })).toEqual({ traceparent: TRACEPARENT });
});

it('without @opentelemetry/api the request headers are read as they are', async () => {
  const requestTrace = await RequestTrace.create(() =>
    Promise.reject(new Error("Cannot find package '@opentelemetry/api'")),
  );
  const server = trace.getTracer('test').startSpan('ignored');
  const seen = context.with(trace.setSpan(ROOT_CONTEXT, server), () =>
    requestTrace.of({ traceparent: TRACEPARENT, tracestate: 'a=1' }),
  );
  server.end();
  expect(seen).toEqual({ traceparent: TRACEPARENT, tracestate: 'a=1' });
  expect(requestTrace.of({ traceparent: 'garbage' })).toBeUndefined();
  expect(requestTrace.of({})).toBeUndefined();
});

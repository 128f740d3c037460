/**
 * OpenTelemetry: an application registers a tracer provider (here the SDK's in-memory
 * exporter), a traced request starts an execution with its W3C trace context, and the
 * engine records one span per execution and one per node attempt in that trace. A node
 * passes `ctx.traceContext` on to a downstream HTTP service as a `traceparent` header. The
 * example prints the span tree and checks its shape.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

/** The tree under `root`, one line per span: name, status, SPANE's ids. */
function printTree(spans: readonly ReadableSpan[], say: (line: string) => void): void {
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const s of spans) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const walk = (span: ReadableSpan, indent: string): void => {
    const a = span.attributes;
    const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
    const what =
      a['spane.node_id'] !== undefined
        ? ` attempt=${a['spane.attempt']} type=${a['spane.node_type']}`
        : a['spane.execution_id'] !== undefined
          ? ` execution=${a['spane.execution_id']}`
          : '';
    const status = ['unset', 'ok', 'error'][span.status.code];
    say(`${indent}${span.name} [${status}, ${ms} ms]${what}`);
    const kids = (children.get(span.spanContext().spanId) ?? []).sort(
      (x, y) => x.startTime[0] - y.startTime[0] || x.startTime[1] - y.startTime[1],
    );
    for (const k of kids) walk(k, `${indent}  `);
  };
  for (const root of children.get(undefined) ?? []) walk(root, '');
}

await runExample(
  'opentelemetry',
  async ({ prefix, redis, say, expectEqual, check, defer, until }) => {
    // 1. The application's OpenTelemetry setup, before the engine starts.
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    defer(() => provider.shutdown());

    // A downstream service on loopback that reports the traceparent it was sent.
    const seen: string[] = [];
    const downstream = createServer((req, res) => {
      seen.push(String(req.headers.traceparent));
      res.end('{"charged":true}');
    });
    await new Promise<void>((r) => downstream.listen(0, '127.0.0.1', r));
    defer(() => new Promise((r) => downstream.close(r)));
    const url = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/charge`;

    const registry = new NodeRegistry();
    registry.register('step', { execute: async (ctx) => ({ success: true, data: ctx.nodeId }) });
    registry.register('charge', {
      // Any outgoing call can pass the node's trace context on, as the server's `http` node does.
      execute: async (ctx) => {
        const headers: Record<string, string> = {};
        if (ctx.traceContext) headers.traceparent = ctx.traceContext.traceparent;
        const res = await fetch(url, { method: 'POST', headers, signal: ctx.signal });
        return { success: true, data: await res.json() };
      },
    });
    const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
    defer(() => engine.close());
    await engine.registerWorkflow({
      id: 'order',
      name: 'Order',
      nodes: [
        { id: 'validate', type: 'step' },
        { id: 'reserve', type: 'step', inputs: ['validate'] },
        { id: 'charge', type: 'charge', inputs: ['validate'] },
        { id: 'confirm', type: 'step', inputs: ['reserve', 'charge'] },
      ],
    });
    await engine.startWorkers(2);

    // 2. A traced request starts the execution: its context goes with the start
    // (@spane/http reads it from the request's `traceparent` header).
    const request = trace.getTracer('example').startSpan('POST /orders');
    const { traceId, spanId } = request.spanContext();
    const executionId = await engine.enqueueWorkflow(
      'order',
      {},
      {
        traceContext: { traceparent: `00-${traceId}-${spanId}-01` },
      },
    );
    request.end();
    const state = await engine.waitForExecution(executionId, { timeoutMs: 15_000 });
    expectEqual('status', state.status, 'completed');
    // The execution span ends when the engine hears the execution end.
    await until('the execution span ended', () =>
      exporter.getFinishedSpans().some((s) => s.name === 'execution order'),
    );

    // 3. The tree.
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    say(`trace ${traceId}`);
    printTree(spans, (line) => say(`  ${line}`));
    const execution = spans.find((s) => s.name === 'execution order');
    const nodes = spans.filter((s) => s.attributes['spane.node_id'] !== undefined);
    expectEqual('execution span parent', execution?.parentSpanContext?.spanId, spanId);
    expectEqual('node spans', nodes.map((s) => s.attributes['spane.node_id']).sort(), [
      'charge',
      'confirm',
      'reserve',
      'validate',
    ]);
    check(
      nodes.every((s) => s.parentSpanContext?.spanId === execution?.spanContext().spanId),
      'every node span is a child of the execution span',
    );
    const charge = nodes.find((s) => s.attributes['spane.node_id'] === 'charge');
    const sent = `00-${traceId}-${charge?.spanContext().spanId}-01`;
    say(`downstream saw traceparent ${seen[0]}`);
    expectEqual("downstream traceparent (the charge node's span)", seen, [sent]);
    return `${spans.length} spans in trace ${traceId}`;
  },
);

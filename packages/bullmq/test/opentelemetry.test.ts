import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { InvalidArgumentError, type TraceContext } from '@spane/core';
import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import { ExecutionTracing, loadOpenTelemetry } from '../src/tracing.js';
import { exec, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

/** A span standing for the HTTP request that starts an execution, and its W3C header. */
function requestSpan(): {
  span: ReturnType<ReturnType<typeof trace.getTracer>['startSpan']>;
  header: TraceContext;
} {
  const span = trace.getTracer('test').startSpan('POST /api/workflows/:id/execute');
  const { traceId, spanId } = span.spanContext();
  return { span, header: { traceparent: `00-${traceId}-${spanId}-01` } };
}

/** The finished spans of one execution (its own and its nodes'). */
function spansOf(executionId: string): ReadableSpan[] {
  return exporter
    .getFinishedSpans()
    .filter((s) => s.attributes['spane.execution_id'] === executionId);
}

describe('OpenTelemetry spans', () => {
  it('an execution span is the child of the request span and the parent of every node attempt', async ({
    harness,
  }) => {
    const h = await harness();
    const seen = new Map<string, TraceContext | undefined>();
    h.registry.register(
      'step',
      exec(async (ctx) => {
        seen.set(ctx.nodeId, ctx.traceContext);
        return { success: true, data: ctx.nodeId };
      }),
    );
    await h.engine.registerWorkflow(
      wf('diamond', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['A'] },
        { id: 'D', type: 'step', inputs: ['B', 'C'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const request = requestSpan();
    const id = await h.engine.enqueueWorkflow('diamond', {}, { traceContext: request.header });
    request.span.end();
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');

    // The execution span ends when this process hears workflow:completed.
    const spans = (await until(() => {
      const s = spansOf(id);
      return s.length === 5 ? s : undefined;
    }))!;
    const execution = spans.find((s) => s.name === 'execution diamond')!;
    const requestContext = request.span.spanContext();
    expect(execution.spanContext().traceId).toBe(requestContext.traceId);
    expect(execution.parentSpanContext?.spanId).toBe(requestContext.spanId);
    expect(execution.attributes).toMatchObject({
      'spane.execution_id': id,
      'spane.workflow_id': 'diamond',
      'spane.tenant_id': 'default',
      'spane.depth': 0,
      'spane.execution.status': 'completed',
    });
    expect(execution.status.code).toBe(SpanStatusCode.OK);

    const nodes = spans.filter((s) => s !== execution);
    expect(nodes.map((s) => s.attributes['spane.node_id']).sort()).toEqual(['A', 'B', 'C', 'D']);
    for (const node of nodes) {
      expect(node.name).toBe(`node ${node.attributes['spane.node_id']}`);
      expect(node.spanContext().traceId).toBe(requestContext.traceId);
      expect(node.parentSpanContext?.spanId).toBe(execution.spanContext().spanId);
      expect(node.attributes).toMatchObject({
        'spane.workflow_id': 'diamond',
        'spane.node_type': 'step',
        'spane.attempt': 1,
      });
      expect(node.status.code).toBe(SpanStatusCode.OK);
      // The node was handed its own span's context to pass on.
      const { traceId, spanId } = node.spanContext();
      expect(seen.get(node.attributes['spane.node_id'] as string)).toEqual({
        traceparent: `00-${traceId}-${spanId}-01`,
      });
    }
  });

  it('a failed attempt ends its span with an error; the retry gets a span of its own', async ({
    harness,
  }) => {
    const h = await harness();
    let calls = 0;
    h.registry.register(
      'flaky',
      exec(async () => {
        calls += 1;
        if (calls === 1) throw new Error('first try fails');
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(
      wf('flaky', [
        { id: 'A', type: 'flaky', retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 5 } } },
      ]),
    );
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('flaky');
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    const spans = (await until(() => {
      const s = spansOf(id);
      return s.length === 3 ? s : undefined;
    }))!;
    const execution = spans.find((s) => s.name === 'execution flaky')!;
    // No request context: the execution span is a root.
    expect(execution.parentSpanContext).toBeUndefined();
    const attempts = spans
      .filter((s) => s !== execution)
      .sort(
        (a, b) => Number(a.attributes['spane.attempt']) - Number(b.attributes['spane.attempt']),
      );
    expect(attempts.map((s) => [s.attributes['spane.attempt'], s.status.code])).toEqual([
      [1, SpanStatusCode.ERROR],
      [2, SpanStatusCode.OK],
    ]);
    expect(attempts[0]!.status.message).toBe('first try fails');
    for (const a of attempts) {
      expect(a.parentSpanContext?.spanId).toBe(execution.spanContext().spanId);
    }
  });

  it('a failed execution ends its span with an error status', async ({ harness }) => {
    const h = await harness();
    h.registry.register(
      'broken',
      exec(async () => ({ success: false, error: 'no luck', retryable: false })),
    );
    await h.engine.registerWorkflow(wf('broken', [{ id: 'A', type: 'broken' }]));
    await h.engine.startWorkers(1);
    const id = await h.engine.enqueueWorkflow('broken');
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('failed');
    const execution = (await until(() => spansOf(id).find((s) => s.name === 'execution broken')))!;
    expect(execution.status.code).toBe(SpanStatusCode.ERROR);
    expect(execution.attributes['spane.execution.status']).toBe('failed');
  });

  it('a webhook request carries its traceparent header to the execution and its nodes', async ({
    harness,
  }) => {
    const h = await harness();
    const seen: (TraceContext | undefined)[] = [];
    h.registry.register(
      'step',
      exec(async (ctx) => {
        seen.push(ctx.traceContext);
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(
      wf('hooked', [{ id: 'A', type: 'step' }], { triggers: [{ type: 'webhook', path: 'in' }] }),
    );
    await h.engine.startWorkers(1);
    const request = requestSpan();
    const [id] = await h.engine.triggerWebhook('in', 'POST', '{}', {
      'content-type': 'application/json',
      traceparent: request.header.traceparent,
      tracestate: 'vendor=1',
    });
    request.span.end();
    await h.engine.waitForExecution(id!, { timeoutMs: 10_000 });
    const spans = (await until(() => {
      const s = spansOf(id!);
      return s.length === 2 ? s : undefined;
    }))!;
    const execution = spans.find((s) => s.name === 'execution hooked')!;
    expect(execution.parentSpanContext?.spanId).toBe(request.span.spanContext().spanId);
    expect(execution.spanContext().traceState?.serialize()).toBe('vendor=1');
    expect(seen[0]?.tracestate).toBe('vendor=1');
  });

  it("a sub-workflow's execution span is a child of its parent node's span", async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'step',
      exec(async () => ({ success: true, data: 1 })),
    );
    await h.engine.registerWorkflow(wf('inner', [{ id: 'X', type: 'step' }]));
    await h.engine.registerWorkflow(
      wf('outer', [{ id: 'S', type: 'sub-workflow', config: { workflowId: 'inner' } }]),
    );
    await h.engine.startWorkers(2);
    const request = requestSpan();
    const id = await h.engine.enqueueWorkflow('outer', {}, { traceContext: request.header });
    request.span.end();
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    // The event can be heard before the node's span has ended: wait for both spans.
    const [inner, node] = (await until(() => {
      const finished = exporter.getFinishedSpans();
      const innerSpan = finished.find(
        (s) => s.name === 'execution inner' && s.attributes['spane.parent_execution_id'] === id,
      );
      const nodeSpan = finished.find(
        (s) => s.attributes['spane.execution_id'] === id && s.name === 'node S',
      );
      return innerSpan && nodeSpan ? ([innerSpan, nodeSpan] as const) : undefined;
    }))!;
    expect(inner.parentSpanContext?.spanId).toBe(node.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(request.span.spanContext().traceId);
    expect(inner.attributes['spane.depth']).toBe(1);
    expect(node.attributes['spane.node.waiting']).toBe(true);
  });

  it('a DLQ retry runs the node in its execution span; the execution keeps its context in metadata', async ({
    harness,
  }) => {
    const h = await harness();
    let fail = true;
    h.registry.register(
      'once',
      exec(async () =>
        fail ? { success: false, error: 'down', retryable: false } : { success: true },
      ),
    );
    await h.engine.registerWorkflow(wf('retried', [{ id: 'A', type: 'once' }]));
    await h.engine.startWorkers(1);
    const request = requestSpan();
    const id = await h.engine.enqueueWorkflow('retried', {}, { traceContext: request.header });
    request.span.end();
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('failed');
    const execution = (await until(() => spansOf(id).find((s) => s.name === 'execution retried')))!;
    const { traceId, spanId } = execution.spanContext();
    const state = (await h.engine.getExecution(id))!;
    expect(state.metadata.traceContext).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });

    fail = false;
    const [item] = await h.engine.getDLQItems();
    await h.engine.retryDLQItem(item!.id);
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    const retried = (await until(() =>
      spansOf(id).find((s) => s.name === 'node A' && s.status.code === SpanStatusCode.OK),
    ))!;
    expect(retried.parentSpanContext?.spanId).toBe(spanId);
    expect(retried.spanContext().traceId).toBe(traceId);
  });

  it('a start that finds its idempotency key ends its span as a duplicate', async ({ harness }) => {
    const h = await harness();
    h.registry.register(
      'step',
      exec(async () => ({ success: true })),
    );
    await h.engine.registerWorkflow(wf('keyed', [{ id: 'A', type: 'step' }]));
    const first = await h.engine.enqueueWorkflow('keyed', {}, { idempotencyKey: 'k' });
    const again = await h.engine.enqueueWorkflow('keyed', {}, { idempotencyKey: 'k' });
    expect(again).toBe(first);
    const duplicate = exporter
      .getFinishedSpans()
      .find((s) => s.attributes['spane.execution.status'] === 'duplicate');
    expect(duplicate?.name).toBe('execution keyed');
    expect(duplicate?.attributes['spane.execution_id']).not.toBe(first);
  });

  it('refuses a malformed trace context with InvalidArgumentError', async ({ harness }) => {
    const h = await harness();
    h.registry.register(
      'step',
      exec(async () => ({ success: true })),
    );
    await h.engine.registerWorkflow(wf('strict', [{ id: 'A', type: 'step' }]));
    await expect(
      h.engine.enqueueWorkflow('strict', {}, { traceContext: { traceparent: 'nope' } }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('without OpenTelemetry', () => {
  it('an engine with openTelemetry: false records no span and hands nodes the incoming context', async ({
    harness,
  }) => {
    const h = await harness({ openTelemetry: false });
    const seen: (TraceContext | undefined)[] = [];
    h.registry.register(
      'step',
      exec(async (ctx) => {
        seen.push(ctx.traceContext);
        return { success: true };
      }),
    );
    await h.engine.registerWorkflow(
      wf('plain', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step', inputs: ['A'] },
      ]),
    );
    await h.engine.startWorkers(1);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const id = await h.engine.enqueueWorkflow('plain', {}, { traceContext: { traceparent } });
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    expect(seen).toEqual([{ traceparent }, { traceparent }]);
    expect(spansOf(id)).toEqual([]);
  });

  it('an engine process that cannot load @opentelemetry/api runs and passes the context on', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--conditions=@spane/source',
        '--import',
        'tsx',
        '--import',
        support('hide-opentelemetry.mjs'),
        support('no-opentelemetry-process.ts'),
      ],
      {
        env: {
          ...process.env,
          SPANE_PREFIX: `spane-test-${randomUUID().slice(0, 8)}`,
          SPANE_TRACEPARENT: traceparent,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const [code] = await once(child, 'exit');
    expect(code, output).toBe(0);
    expect(output).toContain('api missing');
    expect(output).toContain('status completed');
    expect(output).toContain(`seen ${JSON.stringify([{ traceparent }, { traceparent }])}`);
  }, 30_000);

  it('a missing @opentelemetry/api is not an error: tracing passes the context on', async () => {
    const missing = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package '@opentelemetry/api'"), {
          code: 'ERR_MODULE_NOT_FOUND',
        }),
      );
    expect(await loadOpenTelemetry(missing)).toBeNull();
    expect(await loadOpenTelemetry(async () => ({}))).toBeNull();
    expect(await loadOpenTelemetry()).not.toBeNull();
    const tracing = new ExecutionTracing(true, missing);
    expect(await tracing.ready()).toBe(false);
    const parent = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const input = {
      executionId: 'e',
      workflowId: 'w',
      workflowVersion: 'v',
      tenantId: 't',
      depth: 0,
    };
    expect(await tracing.startExecution(input, parent)).toBe(parent);
    const attempt = tracing.startAttempt(
      { ...input, nodeId: 'n', nodeType: 'x', attempt: 1, startedAt: new Date() },
      parent,
    );
    expect(attempt.traceContext).toBe(parent);
    attempt.end('ok');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('with the API but no tracer provider registered, an attempt makes no span and passes the context on', async () => {
    const tracing = new ExecutionTracing(true);
    expect(await tracing.ready()).toBe(true);
    const parent = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const input = { executionId: 'e', workflowId: 'w', tenantId: 't', nodeId: 'n', nodeType: 'x' };
    trace.disable();
    try {
      const attempt = tracing.startAttempt({ ...input, attempt: 1, startedAt: new Date() }, parent);
      expect(attempt.traceContext).toBe(parent);
      attempt.end('ok');
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
    // Registered later: the next attempt records its span, a child of the same trace.
    const recorded = tracing.startAttempt({ ...input, attempt: 2, startedAt: new Date() }, parent);
    expect(recorded.traceContext?.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(recorded.traceContext).not.toEqual(parent);
    recorded.end('ok');
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['node n']);
  });
});

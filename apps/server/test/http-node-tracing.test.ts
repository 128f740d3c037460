import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AddressPolicy, createHttpNode, registerBuiltInNodes } from '../src/index.js';
import { nodeContext } from './support/node-context.js';
import { waitFor } from './support/processes.js';

/**
 * The `http` node passes its W3C trace context on: a loopback server sees a `traceparent`
 * naming the node attempt's span, in the trace of the request that started the execution.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

let target: Server;
let base: string;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  target = createServer((req, res) => {
    received.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.2', r));
  base = `http://127.0.0.2:${(target.address() as AddressInfo).port}`;
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
  await new Promise((r) => target.close(r));
});

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

it("an engine's http node sends the traceparent of its own span, in the request's trace", async () => {
  const prefix = `spane-test-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const store = new InMemoryExecutionStore();
  const registry = new NodeRegistry();
  registerBuiltInNodes(registry, { httpAllow: ['127.0.0.2'] });
  const engine = new WorkflowEngine(registry, store, redis, { prefix });
  try {
    await engine.registerWorkflow({
      id: 'call',
      name: 'call',
      nodes: [{ id: 'fetch', type: 'http', config: { url: `${base}/x` } }],
    });
    await engine.startWorkers(1);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const requestSpanId = '00f067aa0ba902b7';
    const id = await engine.enqueueWorkflow(
      'call',
      {},
      { traceContext: { traceparent: `00-${traceId}-${requestSpanId}-01`, tracestate: 'k=v' } },
    );
    const state = await engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    // The end can be heard before the node's span has ended: wait for it.
    const node = await waitFor('the node span', 10_000, () =>
      exporter
        .getFinishedSpans()
        .find((s) => s.attributes['spane.execution_id'] === id && s.name === 'node fetch'),
    );
    expect(node.spanContext().traceId).toBe(traceId);
    const sent = received.at(-1)!;
    expect(sent.traceparent).toBe(`00-${traceId}-${node.spanContext().spanId}-01`);
    expect(sent.tracestate).toBe('k=v');
  } finally {
    await engine.close();
    await deleteKeys(redis, prefix);
    await store.close();
    await redis.quit();
  }
});

it("config.headers' own traceparent wins; without a trace context none is sent", async () => {
  const node = createHttpNode(AddressPolicy.parse(['127.0.0.2']));
  const traceContext = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
  await node.execute({ ...nodeContext({ url: `${base}/a` }), traceContext });
  expect(received.at(-1)!.traceparent).toBe(traceContext.traceparent);
  const own = '00-11111111111111111111111111111111-2222222222222222-00';
  await node.execute({
    ...nodeContext({ url: `${base}/b`, headers: { TraceParent: own } }),
    traceContext,
  });
  expect(received.at(-1)!.traceparent).toBe(own);
  await node.execute(nodeContext({ url: `${base}/c` }));
  expect(received.at(-1)!.traceparent).toBeUndefined();
});

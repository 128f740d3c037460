/**
 * An engine process in which `@opentelemetry/api` cannot be loaded (started with
 * hide-opentelemetry.mjs): runs a two-node workflow started with a trace context and prints
 * `api <found|missing>` and `seen <JSON of each node's ctx.traceContext>`.
 */
import { NodeRegistry, type TraceContext } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { Redis } from 'ioredis';
import { WorkflowEngine } from '../../src/index.js';

const prefix = process.env.SPANE_PREFIX!;
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null,
});
const found = await import('@opentelemetry/api').then(
  () => 'found',
  () => 'missing',
);
console.log(`api ${found}`);
const seen: (TraceContext | undefined)[] = [];
const registry = new NodeRegistry();
registry.register('step', {
  execute: async (ctx) => {
    seen.push(ctx.traceContext);
    return { success: true };
  },
});
const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
try {
  await engine.registerWorkflow({
    id: 'plain',
    name: 'plain',
    nodes: [
      { id: 'A', type: 'step' },
      { id: 'B', type: 'step', inputs: ['A'] },
    ],
  });
  await engine.startWorkers(1);
  const id = await engine.enqueueWorkflow(
    'plain',
    {},
    { traceContext: { traceparent: process.env.SPANE_TRACEPARENT! } },
  );
  const state = await engine.waitForExecution(id, { timeoutMs: 15_000 });
  console.log(`status ${state.status}`);
  console.log(`seen ${JSON.stringify(seen)}`);
} finally {
  await engine.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

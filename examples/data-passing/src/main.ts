import { randomUUID } from 'node:crypto';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';

// Fail rather than hang if Redis is unreachable or a node never finishes.
setTimeout(() => {
  console.log('FAILED: no result within 60 s');
  process.exit(1);
}, 60_000).unref();

// Node types: each one gets its node's input and returns the node's output.
const nodeTypes: Record<string, (input: any) => unknown> = {
  load: (input) => ({ orderId: input.orderId, prices: [120, 80] }),
  sum: (order) => ({ total: order.prices[0] + order.prices[1] }),
  count: (order) => ({ items: order.prices.length }),
  merge: (parents) => ({ ...parents.total, ...parents.count }),
};
const registry = new NodeRegistry();
for (const [type, run] of Object.entries(nodeTypes)) {
  registry.register(type, {
    execute: async (ctx) => {
      const from = Object.keys(ctx.previousResults).join(' + ') || 'the initial data';
      console.log(`node ${ctx.nodeId} got ${JSON.stringify(ctx.inputData)} from ${from}`);
      return { success: true, data: run(ctx.inputData) };
    },
  });
}

// A unique key prefix, so the example can share a Redis server with other apps.
const prefix = process.env.SPANE_PREFIX ?? `spane-example-${randomUUID().slice(0, 8)}`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redisUrl, { prefix });

// load → total, load → count, then total + count → summary (a join: it runs once).
await engine.registerWorkflow({
  id: 'order-summary',
  name: 'Order summary',
  nodes: [
    { id: 'load', type: 'load' },
    { id: 'total', type: 'sum', inputs: ['load'] },
    { id: 'count', type: 'count', inputs: ['load'] },
    { id: 'summary', type: 'merge', inputs: ['total', 'count'] },
  ],
});
await engine.startWorkers(5);
try {
  const executionId = await engine.enqueueWorkflow('order-summary', { orderId: 'o-1' });
  const state = await engine.waitForExecution(executionId, { timeoutMs: 30_000 });
  const summary = JSON.stringify(state.nodeResults.summary?.data);
  console.log(`execution ${state.status}, summary = ${summary}`);
  if (state.status !== 'completed' || summary !== '{"total":200,"items":2}') {
    console.log('FAILED: expected a completed execution with summary {"total":200,"items":2}');
    process.exitCode = 1;
  } else {
    console.log("OK: the join got both parents' outputs and merged them");
  }
} finally {
  await engine.close();
}

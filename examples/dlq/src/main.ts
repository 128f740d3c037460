/**
 * Retries with backoff, a node failing for good into the dead letter queue, and a retry
 * from the DLQ that completes the execution once the cause is fixed.
 */
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

await runExample('dlq', async ({ prefix, redis, say, expectEqual, check, defer }) => {
  // The payment gateway is down until we "fix" it by flipping this flag.
  let gatewayUp = false;
  const attemptsSeen: number[] = [];
  const attemptTimes: number[] = [];

  const registry = new NodeRegistry();
  registry.register('validate', {
    execute: async (ctx) => ({ success: true, data: { ...ctx.inputData, valid: true } }),
  });
  registry.register('charge', {
    execute: async (ctx) => {
      attemptsSeen.push(ctx.attempt);
      attemptTimes.push(Date.now());
      if (!gatewayUp) {
        say(`  charge attempt ${ctx.attempt}: gateway unavailable`);
        throw new Error('payment gateway unavailable');
      }
      say(`  charge attempt ${ctx.attempt}: charged ${ctx.inputData.amount}`);
      return { success: true, data: { chargeId: `ch-${ctx.inputData.orderId}` } };
    },
  });
  registry.register('receipt', {
    execute: async (ctx) => ({ success: true, data: { sentFor: ctx.inputData.chargeId } }),
  });

  const store = new InMemoryExecutionStore();
  const engine = new WorkflowEngine(registry, store, redis, { prefix });
  defer(() => engine.close());

  await engine.registerWorkflow({
    id: 'checkout',
    name: 'Checkout',
    nodes: [
      { id: 'validate', type: 'validate' },
      {
        id: 'charge',
        type: 'charge',
        inputs: ['validate'],
        // 3 attempts in all; waits 100 ms, then 200 ms between them.
        retry: { attempts: 3, backoff: { type: 'exponential', delayMs: 100 } },
      },
      { id: 'receipt', type: 'receipt', inputs: ['charge'] },
    ],
  });
  await engine.startWorkers(4);

  const retryDelays: number[] = [];
  engine.on('node:retrying', (e) => {
    retryDelays.push(e.delayMs);
    say(`  engine: retrying ${e.nodeId} in ${e.delayMs} ms (attempt ${e.attempt} failed)`);
  });

  say('1. run the checkout while the gateway is down');
  const executionId = await engine.enqueueWorkflow('checkout', { orderId: 'o-7', amount: 42 });
  const failed = await engine.waitForExecution(executionId, { timeoutMs: 10_000 });
  say(`execution ${failed.status}: ${failed.error}`);
  expectEqual('status after the retries', failed.status, 'failed');
  expectEqual('attempts the executor saw', attemptsSeen, [1, 2, 3]);
  expectEqual('backoff delays announced', retryDelays, [100, 200]);
  const gaps = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]!);
  say(`  measured gaps between attempts: ${gaps.map((g) => `${g} ms`).join(', ')}`);
  check(
    gaps.length === 2 && gaps[0]! >= 100 && gaps[1]! >= 200,
    `the attempts should be at least 100 ms then 200 ms apart, were ${gaps.join(', ')} ms`,
  );
  expectEqual('receipt status (never ran)', failed.nodeResults.receipt?.status, 'pending');

  say('2. the failure is in the dead letter queue');
  const items = await engine.getDLQItems();
  for (const item of items) {
    say(
      `  DLQ item ${item.id}: node ${item.nodeId} of ${item.executionId}, ${item.attempts} attempts, "${item.error}", input ${JSON.stringify(item.inputData)}`,
    );
  }
  expectEqual('DLQ items', items.length, 1);
  const item = items[0];
  if (!item) throw new Error('no DLQ item to retry');
  expectEqual(
    'DLQ item',
    [item.executionId, item.nodeId, item.attempts, item.error],
    [executionId, 'charge', 3, 'payment gateway unavailable'],
  );
  expectEqual('DLQ item input', item.inputData, { orderId: 'o-7', amount: 42, valid: true });

  say('3. fix the gateway and retry the item from the DLQ');
  gatewayUp = true;
  await engine.retryDLQItem(item.id);
  const done = await engine.waitForExecution(executionId, { timeoutMs: 10_000 });
  say(`execution ${done.status}, receipt = ${JSON.stringify(done.nodeResults.receipt?.data)}`);
  expectEqual('status after the DLQ retry', done.status, 'completed');
  expectEqual('attempt numbers, the retry continuing the count', attemptsSeen, [1, 2, 3, 4]);
  expectEqual('receipt', done.nodeResults.receipt?.data, { sentFor: 'ch-o-7' });
  expectEqual('DLQ items left', (await engine.getDLQItems()).length, 0);
  return 'charge failed 3 times with backoff, landed in the DLQ, and the DLQ retry completed the checkout';
});

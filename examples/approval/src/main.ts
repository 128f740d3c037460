/**
 * Human in the loop: an order waits for an approval (a `wait-for-signal` node) that a
 * person gives later — `engine.signal(executionId, 'approval', decision)`, or
 * `POST /api/executions/:id/signals/approval` with `@spane/http`. The decision is the
 * node's output; a `decide` node routes on it to `ship` or `reject`. No answer within the
 * timeout continues with `{ timedOut: true }`, which `decide` treats as a refusal.
 *
 * The waiting nodes hold no worker slot: the engine runs one node at a time here, and
 * three orders wait at once.
 */
import { WorkflowEngine } from '@spane/bullmq';
import {
  builtInNodeTypes,
  defineWorkflow,
  type ExecutionState,
  NodeRegistry,
  SignalRejectedError,
} from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

/** The approver's answer, or the timeout's output. */
type Decision = { approved?: boolean; approver?: string; reason?: string; timedOut?: true };

// order → approval (wait-for-signal) → decide ┬→ ship
//                                              └→ reject
const orders = defineWorkflow('orders', { name: 'Orders needing approval' })
  .node('order', 'receive-order')
  .node('approval', builtInNodeTypes.waitForSignal, {
    config: { name: 'approval', timeoutMs: 1_500, onTimeout: 'continue' },
    inputs: ['order'],
  })
  .node('decide', 'decide', { inputs: ['approval'] })
  .node('ship', 'ship', { inputs: ['decide'] })
  .node('reject', 'reject', { inputs: ['decide'] })
  .build();

await runExample('approval', async ({ prefix, redis, say, expectEqual, check, defer, until }) => {
  const registry = new NodeRegistry();
  registry.register('receive-order', {
    execute: async (ctx) => ({ success: true, data: ctx.inputData }),
  });
  registry.register('decide', {
    execute: async (ctx) => {
      const decision = ctx.inputData as Decision;
      const next = decision.approved === true ? 'ship' : 'reject';
      const why = decision.timedOut ? 'no answer in time' : (decision.reason ?? 'approved');
      return { success: true, data: { ...decision, why }, nextNodes: [next] };
    },
  });
  registry.register('ship', {
    execute: async (ctx) => ({
      success: true,
      data: { shipped: true, ...(ctx.inputData as object) },
    }),
  });
  registry.register('reject', {
    execute: async (ctx) => ({
      success: true,
      data: { shipped: false, ...(ctx.inputData as object) },
    }),
  });

  const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
  defer(() => engine.close());
  await engine.registerWorkflow(orders);
  await engine.startWorkers(1); // one node at a time: waiting nodes take none
  engine.on('node:completed', (e) => {
    if (e.nodeId === 'ship' || e.nodeId === 'reject')
      say(`  ${e.nodeId} ran (${e.executionId.slice(0, 8)})`);
  });

  say('1. three orders wait for their approval at once');
  const [approved, refused, forgotten] = await engine.enqueueWorkflows([
    { workflowId: 'orders', initialData: { orderId: 'o-1', total: 40 } },
    { workflowId: 'orders', initialData: { orderId: 'o-2', total: 9_000 } },
    { workflowId: 'orders', initialData: { orderId: 'o-3', total: 15 } },
  ]);
  const waiting = async (id: string) =>
    (await engine.getExecution(id))?.nodeResults.approval?.status === 'delayed';
  for (const id of [approved!, refused!, forgotten!]) {
    await until(`order ${id} waiting`, () => waiting(id));
  }
  say('  all three approval nodes wait (status delayed)');

  say(
    '2. ann approves o-1 (and eve answers o-1 too, just after), bob refuses o-2; nobody answers for o-3',
  );
  const first = engine.signal(approved!, 'approval', { approved: true, approver: 'ann' });
  // Sent while ann's answer is on its way: o-1 is still waiting, yet one answer is taken.
  const second = engine
    .signal(approved!, 'approval', { approved: false, approver: 'eve' })
    .catch((e: unknown) => e);
  await first;
  await engine.signal(refused!, 'approval', {
    approved: false,
    approver: 'bob',
    reason: 'over budget',
  });

  say("3. eve's answer for o-1 is refused: the first one won");
  const refusal = await second;
  check(
    refusal instanceof SignalRejectedError && refusal.reason === 'already-received',
    'the second signal is refused as already-received',
  );
  say(`  ${(refusal as Error).message}`);

  const outcome = (s: ExecutionState) => {
    const ran = s.nodeResults.ship?.status === 'completed' ? 'ship' : 'reject';
    return { ran, output: s.nodeResults[ran]?.data };
  };
  const one = await engine.waitForExecution(approved!, { timeoutMs: 10_000 });
  expectEqual('o-1: approved and shipped', outcome(one), {
    ran: 'ship',
    output: { shipped: true, approved: true, approver: 'ann', why: 'approved' },
  });
  const two = await engine.waitForExecution(refused!, { timeoutMs: 10_000 });
  expectEqual('o-2: refused', outcome(two), {
    ran: 'reject',
    output: {
      shipped: false,
      approved: false,
      approver: 'bob',
      reason: 'over budget',
      why: 'over budget',
    },
  });
  const three = await engine.waitForExecution(forgotten!, { timeoutMs: 10_000 });
  expectEqual('o-3: the approval timed out', three.nodeResults.approval?.data, { timedOut: true });
  expectEqual('o-3: rejected', outcome(three), {
    ran: 'reject',
    output: { shipped: false, timedOut: true, why: 'no answer in time' },
  });
  say(`  o-3 timed out after 1.5 s: ${JSON.stringify(outcome(three).output)}`);
  return 'each order waited for its approval without a worker slot; the first answer won, and no answer in time rejected the order';
});

/**
 * Map over a list (dynamic fan-out): a node of the built-in type `map` runs one child
 * execution per item of a list it reads from its input, at most `concurrency` at once, and
 * returns the items' results in item order.
 *
 * 1. `nodeType` mode: an order's line items are priced one `price-line` node each (at most
 *    5 at once, each item with its own retries), then `total` sums them; while the items run,
 *    `getExecution` shows their progress.
 * 2. `workflowId` mode with `onItemError: 'collect'`: each line runs the `reserve-line`
 *    workflow; a line out of stock fails its item, and the map still completes, with
 *    `{ results, errors }`.
 *
 * Both workflows are written with the typed builder (`defineWorkflow`, with
 * `builtInNodeTypes.map` typing the map node's config).
 */
import { WorkflowEngine } from '@spane/bullmq';
import { builtInNodeTypes, defineWorkflow, NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

interface Line {
  sku: string;
  qty: number;
  unitCents: number;
}

const lines: Line[] = [
  { sku: 'pen', qty: 10, unitCents: 120 },
  { sku: 'ink', qty: 2, unitCents: 899 },
  { sku: 'pad', qty: 5, unitCents: 250 },
  { sku: 'clip', qty: 100, unitCents: 3 },
  { sku: 'tape', qty: 3, unitCents: 199 },
  { sku: 'glue', qty: 1, unitCents: 450 },
  { sku: 'ruler', qty: 2, unitCents: 175 },
  { sku: 'stamp', qty: 20, unitCents: 95 },
];

const { map } = builtInNodeTypes; // the engine's `map` type, typed

// load → price (map: one price-line node per line) → total
const pricing = defineWorkflow('price-order', { name: 'Price an order' })
  .node('load', 'load')
  .node('price', map, {
    config: {
      items: 'input.lines', // a dotted path into the node's input: must be a list
      nodeType: 'price-line',
      concurrency: 5,
      retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 20 } }, // per item
    },
    inputs: ['load'],
  })
  .node('total', 'total', { inputs: ['price'] })
  .build();

// The workflow run once per line: check the stock, then reserve it.
const reserveLine = defineWorkflow('reserve-line', { name: 'Reserve one line' })
  .node('check', 'check-stock')
  .node('reserve', 'reserve', { inputs: ['check'] })
  .build();

// load → reserve (map: one reserve-line run per line, failures collected) → summary
const reservation = defineWorkflow('reserve-order', { name: 'Reserve an order' })
  .node('load', 'load')
  .node('reserve', map, {
    config: { items: 'input.lines', workflowId: reserveLine.id, onItemError: 'collect' },
    inputs: ['load'],
  })
  .node('summary', 'summary', { inputs: ['reserve'] })
  .build();

await runExample('map-fan-out', async ({ prefix, redis, say, expectEqual, until, defer }) => {
  const registry = new NodeRegistry();
  let running = 0;
  let most = 0;
  let gate: () => void = () => {};
  const gateOpen = new Promise<void>((resolve) => {
    gate = resolve;
  });
  const attempts = new Map<string, number>();
  registry.register('load', { execute: async (ctx) => ({ success: true, data: ctx.inputData }) });
  registry.register('price-line', {
    // Its input is one item of the list.
    execute: async (ctx) => {
      const line = ctx.inputData as Line;
      const attempt = (attempts.get(line.sku) ?? 0) + 1;
      attempts.set(line.sku, attempt);
      running += 1;
      most = Math.max(most, running);
      await gateOpen; // holds the first items until the progress below was read
      running -= 1;
      if (line.sku === 'ink' && attempt === 1) {
        say(`  price-line ink: attempt 1 fails (pricing service busy)`);
        return { success: false, error: 'pricing service busy' }; // retryable: retried
      }
      return { success: true, data: { sku: line.sku, cents: line.qty * line.unitCents } };
    },
  });
  registry.register('total', {
    execute: async (ctx) => {
      const priced = ctx.inputData as { sku: string; cents: number }[]; // in line order
      return {
        success: true,
        data: { lines: priced.length, cents: priced.reduce((s, p) => s + p.cents, 0) },
      };
    },
  });
  registry.register('check-stock', {
    execute: async (ctx) => {
      const line = ctx.inputData as Line;
      if (line.sku === 'glue' || line.sku === 'stamp') {
        return { success: false, error: `${line.sku} is out of stock`, retryable: false };
      }
      return { success: true, data: line };
    },
  });
  registry.register('reserve', {
    execute: async (ctx) => {
      const line = ctx.inputData as Line;
      return { success: true, data: { sku: line.sku, reserved: line.qty } };
    },
  });
  registry.register('summary', {
    execute: async (ctx) => {
      const { results, errors } = ctx.inputData as {
        results: ({ sku: string } | null)[];
        errors: { index: number; error: string }[];
      };
      return {
        success: true,
        data: {
          reserved: results.flatMap((r) => (r ? [r.sku] : [])),
          backordered: errors.map((e) => lines[e.index]?.sku),
        },
      };
    },
  });

  const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
  defer(() => engine.close());
  for (const definition of [pricing, reserveLine, reservation]) {
    await engine.registerWorkflow(definition);
  }
  await engine.startWorkers(10);

  say(`1. price-order: ${lines.length} lines, one price-line node each, at most 5 at once`);
  const id = await engine.enqueueWorkflow('price-order', { orderId: 'o-7', lines });
  let progress: unknown;
  await until('five items running', async () => {
    progress = (await engine.getExecution(id))?.nodeResults.price?.items;
    return (progress as { running?: number } | undefined)?.running === 5 && running === 5;
  });
  say(`  progress while the first items run: ${JSON.stringify(progress)}`);
  gate();
  const priced = await engine.waitForExecution(id, { timeoutMs: 20_000 });
  say(`  price-order ${priced.status}; total: ${JSON.stringify(priced.nodeResults.total?.data)}`);
  say(`  price output: ${JSON.stringify(priced.nodeResults.price?.data)}`);
  const children = await engine.listExecutions({ parentExecutionId: id, limit: 100 });
  say(`  ${children.items.length} child executions, at most ${most} running at once`);
  expectEqual('progress', progress, { total: 8, done: 0, failed: 0, running: 5 });
  expectEqual('price-order status', priced.status, 'completed');
  expectEqual(
    'price output (line order)',
    priced.nodeResults.price?.data,
    lines.map((l) => ({ sku: l.sku, cents: l.qty * l.unitCents })),
  );
  expectEqual('total', priced.nodeResults.total?.data, { lines: 8, cents: 7845 });
  expectEqual('ink priced on its second attempt', attempts.get('ink'), 2);
  expectEqual('items at once, at most', most, 5);
  expectEqual('one child execution per line', children.items.length, lines.length);

  say('2. reserve-order: one reserve-line run per line; failed lines are collected');
  const rid = await engine.enqueueWorkflow('reserve-order', { orderId: 'o-7', lines });
  const reserved = await engine.waitForExecution(rid, { timeoutMs: 20_000 });
  say(`  reserve-order ${reserved.status}`);
  say(`  reserve output: ${JSON.stringify(reserved.nodeResults.reserve?.data)}`);
  say(`  summary: ${JSON.stringify(reserved.nodeResults.summary?.data)}`);
  expectEqual('reserve-order status', reserved.status, 'completed');
  expectEqual(
    'reserve errors',
    (reserved.nodeResults.reserve?.data as { errors?: unknown } | undefined)?.errors,
    [
      { index: 5, error: "failed: Node 'check' failed: glue is out of stock" },
      { index: 7, error: "failed: Node 'check' failed: stamp is out of stock" },
    ],
  );
  expectEqual('summary', reserved.nodeResults.summary?.data, {
    reserved: ['pen', 'ink', 'pad', 'clip', 'tape', 'ruler'],
    backordered: ['glue', 'stamp'],
  });
  return '8 lines priced 5 at once with a retried item, and a collect map kept going past 2 failed lines';
});

/**
 * Switch-style branching: a node returns `nextNodes` to pick which of its children run.
 * The others are skipped (`not-selected`), the skip cascades to their descendants
 * (`upstream-skipped`), and the join after the branches runs once, with the branch that ran.
 *
 * The workflow is written with the typed builder (`defineWorkflow`), and beside it as the
 * JSON it produces; the `route` node type is a typed definition (`defineNodeType`) whose
 * config schema types both its executor and the node's `config` in the workflow.
 */
import { Type } from '@sinclair/typebox';
import { WorkflowEngine } from '@spane/bullmq';
import {
  defineNodeType,
  defineWorkflow,
  type ExecutionState,
  NodeRegistry,
  type WorkflowDefinition,
} from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

/** The switch: picks the child named, in `cases`, for the value of a field of its input. */
const route = defineNodeType('route', {
  description: 'Runs the child named for the value of one field of the input',
  config: Type.Object(
    {
      field: Type.String({ minLength: 1 }),
      cases: Type.Record(Type.String(), Type.String()),
      otherwise: Type.String(),
    },
    { additionalProperties: false },
  ),
  input: Type.Record(Type.String(), Type.Unknown()),
});

//            ┌→ refund ─────────────────────┐
// receive → route                            ├→ notify (join)
//            └→ repair → book-technician ───┘
const returns = defineWorkflow('returns', { name: 'Returns' })
  .node('receive', 'receive')
  .node('route', route, {
    config: { field: 'kind', cases: { refund: 'refund' }, otherwise: 'repair' }, // typed
    inputs: ['receive'], // a node declared above: a typo is a compile error
  })
  .node('refund', 'refund', { inputs: ['route'] })
  .node('repair', 'repair', { inputs: ['route'] })
  .node('book-technician', 'book-technician', { inputs: ['repair'] })
  .node('notify', 'notify', { inputs: ['refund', 'book-technician'] })
  .build(); // validated: throws WorkflowValidationError as registerWorkflow would

/** The same workflow written as JSON. */
const returnsJson: WorkflowDefinition = {
  id: 'returns',
  name: 'Returns',
  nodes: [
    { id: 'receive', type: 'receive' },
    {
      id: 'route',
      type: 'route',
      config: { field: 'kind', cases: { refund: 'refund' }, otherwise: 'repair' },
      inputs: ['receive'],
    },
    { id: 'refund', type: 'refund', inputs: ['route'] },
    { id: 'repair', type: 'repair', inputs: ['route'] },
    { id: 'book-technician', type: 'book-technician', inputs: ['repair'] },
    { id: 'notify', type: 'notify', inputs: ['refund', 'book-technician'] },
  ],
};

await runExample('conditional-branching', async ({ prefix, redis, say, expectEqual, defer }) => {
  const runs: string[] = [];
  const registry = new NodeRegistry();
  const step = (fn: (input: any) => unknown) => ({
    execute: async (ctx: { nodeId: string; inputData: any }) => {
      runs.push(ctx.nodeId);
      const data = fn(ctx.inputData);
      say(`  ran ${ctx.nodeId} with ${JSON.stringify(ctx.inputData)}`);
      return { success: true, data };
    },
  });
  registry.register(
    'receive',
    step((input) => input),
  );
  registry.register(
    route.type,
    // Its output passes the request on; nextNodes picks the branch.
    route.executor(async (ctx) => {
      runs.push(ctx.nodeId);
      const { field, cases, otherwise } = ctx.nodeConfig; // typed by route's config schema
      const value = String(ctx.inputData[field]);
      const branch = cases[value] ?? otherwise;
      say(`  ran route: ${field} "${value}" → ${branch}`);
      return { success: true, data: ctx.inputData, nextNodes: [branch] };
    }),
    route.options,
  );
  registry.register(
    'refund',
    step((req) => ({ refunded: req.amount })),
  );
  registry.register(
    'repair',
    step((req) => ({ ticket: `R-${req.orderId}` })),
  );
  registry.register(
    'book-technician',
    step((repair) => ({ visit: `${repair.ticket}/tuesday` })),
  );
  registry.register(
    'notify',
    step((branches) => ({ told: Object.keys(branches) })),
  );

  expectEqual('the builder wrote the JSON', returns, returnsJson);
  const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
  defer(() => engine.close());
  await engine.registerWorkflow(returns);
  await engine.startWorkers(4);
  engine.on('node:skipped', (e) => say(`  skipped ${e.nodeId} (${e.reason})`));

  const run = async (request: object): Promise<ExecutionState> => {
    runs.length = 0;
    const id = await engine.enqueueWorkflow('returns', request);
    const state = await engine.waitForExecution(id, { timeoutMs: 10_000 });
    say(`  execution ${state.status}`);
    return state;
  };
  const statuses = (s: ExecutionState) =>
    Object.fromEntries(
      Object.entries(s.nodeResults).map(([id, n]) => [id, n.skipReason ?? n.status]),
    );

  say('1. a refund request');
  const refund = await run({ kind: 'refund', orderId: 'o-1', amount: 30 });
  expectEqual('refund run: status', refund.status, 'completed');
  expectEqual('refund run: node outcomes', statuses(refund), {
    receive: 'completed',
    route: 'completed',
    refund: 'completed',
    repair: 'not-selected',
    'book-technician': 'upstream-skipped',
    notify: 'completed',
  });
  expectEqual('refund run: notify ran once', runs.filter((n) => n === 'notify').length, 1);
  expectEqual('refund run: notify input', refund.nodeResults.notify?.data, { told: ['refund'] });

  say('2. a repair request');
  const repair = await run({ kind: 'repair', orderId: 'o-2' });
  expectEqual('repair run: status', repair.status, 'completed');
  expectEqual('repair run: node outcomes', statuses(repair), {
    receive: 'completed',
    route: 'completed',
    refund: 'not-selected',
    repair: 'completed',
    'book-technician': 'completed',
    notify: 'completed',
  });
  expectEqual('repair run: nodes that ran', [...runs].sort(), [
    'book-technician',
    'notify',
    'receive',
    'repair',
    'route',
  ]);
  expectEqual('repair run: notify output', repair.nodeResults.notify?.data, {
    told: ['book-technician'],
  });
  return 'each run took one branch, skipped the other (and its descendants), and ran the join once';
});

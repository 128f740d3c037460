/**
 * Sub-workflows: a node of the built-in type `sub-workflow` runs another workflow as a child
 * execution, with input and output mapping; nesting two levels deep; and a failure deep in
 * the grandchild failing the child and then the parent.
 *
 * The two workflows with `sub-workflow` nodes are written with the typed builder
 * (`defineWorkflow`, with `builtInNodeTypes.subWorkflow` typing each node's config); the
 * grandchild is plain JSON: both are the same kind of definition.
 */
import { WorkflowEngine } from '@spane/bullmq';
import { builtInNodeTypes, defineWorkflow, type ExecutionState, NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

await runExample('sub-workflows', async ({ prefix, redis, say, expectEqual, check, defer }) => {
  const registry = new NodeRegistry();
  const step = (fn: (input: any) => unknown) => ({
    execute: async (ctx: { workflowId: string; nodeId: string; depth: number; inputData: any }) => {
      say(
        `  [depth ${ctx.depth}] ${ctx.workflowId}/${ctx.nodeId} got ${JSON.stringify(ctx.inputData)}`,
      );
      return { success: true, data: fn(ctx.inputData) };
    },
  });
  registry.register(
    'load',
    step((input) => input),
  );
  registry.register(
    'profile',
    step((p) => ({ id: p.id, name: p.name, tier: 'gold' })),
  );
  registry.register(
    'combine',
    step((parents) => ({ ...parents['fetch-profile'], ...parents.score })),
  );
  registry.register(
    'welcome',
    step((c) => ({ message: `Welcome, ${c.tier} customer (score ${c.customerScore})` })),
  );
  registry.register('credit-bureau', {
    execute: async (ctx) => {
      if (ctx.inputData.customerId === 'c-unknown') {
        say(`  [depth ${ctx.depth}] ${ctx.workflowId}/${ctx.nodeId}: bureau has no record`);
        return { success: false, error: 'no credit record', retryable: false };
      }
      say(
        `  [depth ${ctx.depth}] ${ctx.workflowId}/${ctx.nodeId} got ${JSON.stringify(ctx.inputData)}`,
      );
      return { success: true, data: { credit: 712, bureau: 'acme' } };
    },
  });

  const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
  defer(() => engine.close());
  const { subWorkflow } = builtInNodeTypes; // the engine's `sub-workflow` type, typed
  // Level 2: the grandchild, as JSON.
  await engine.registerWorkflow({
    id: 'credit-score',
    name: 'Credit score',
    nodes: [{ id: 'ask-bureau', type: 'credit-bureau' }],
  });
  // Level 1: the child; its `score` node runs credit-score.
  const enrichCustomer = defineWorkflow('enrich-customer', { name: 'Enrich customer' })
    .node('fetch-profile', 'profile')
    .node('score', subWorkflow, {
      config: {
        workflowId: 'credit-score', // required: leaving it out is a compile error
        inputMapping: { customerId: 'input.id' },
        outputMapping: { score: 'output.credit' },
      },
      inputs: ['fetch-profile'],
    })
    .node('combine', 'combine', { inputs: ['fetch-profile', 'score'] })
    .build();
  await engine.registerWorkflow(enrichCustomer);
  // Level 0: the parent; its `enrich` node runs enrich-customer.
  const onboarding = defineWorkflow('onboarding', { name: 'Onboarding' })
    .node('load', 'load')
    .node('enrich', subWorkflow, {
      config: {
        workflowId: enrichCustomer.id,
        inputMapping: { id: 'input.customer.id', name: 'input.customer.name' },
        outputMapping: { customerScore: 'output.score', tier: 'output.tier' },
      },
      inputs: ['load'],
    })
    .node('welcome', 'welcome', { inputs: ['enrich'] })
    .build();
  await engine.registerWorkflow(onboarding);
  await engine.startWorkers(4);

  /** The child execution a sub-workflow node of `parent` started. */
  const childOf = async (parent: string): Promise<ExecutionState | null> => {
    const [child] = (await engine.listExecutions({ parentExecutionId: parent })).items;
    return child ? engine.getExecution(child.executionId) : null;
  };

  say('1. onboarding → enrich-customer → credit-score');
  const id = await engine.enqueueWorkflow('onboarding', {
    customer: { id: 'c-42', name: 'Ada' },
    plan: 'pro',
  });
  const parent = await engine.waitForExecution(id, { timeoutMs: 10_000 });
  const child = await childOf(id);
  const grandchild = child ? await childOf(child.executionId) : null;
  say(
    `  onboarding ${parent.status}; enrich's output: ${JSON.stringify(parent.nodeResults.enrich?.data)}`,
  );
  say(`  welcome: ${JSON.stringify(parent.nodeResults.welcome?.data)}`);
  say(
    `  child enrich-customer: depth ${child?.depth}, ${child?.status}, input ${JSON.stringify(child?.initialData)}`,
  );
  say(
    `  grandchild credit-score: depth ${grandchild?.depth}, ${grandchild?.status}, input ${JSON.stringify(grandchild?.initialData)}`,
  );
  expectEqual('parent status', parent.status, 'completed');
  expectEqual(
    'child (mapped input)',
    [child?.workflowId, child?.depth, child?.initialData],
    ['enrich-customer', 1, { id: 'c-42', name: 'Ada' }],
  );
  expectEqual(
    'grandchild (mapped input)',
    [grandchild?.workflowId, grandchild?.depth, grandchild?.initialData],
    ['credit-score', 2, { customerId: 'c-42' }],
  );
  expectEqual(
    'child combine (score mapped from the grandchild)',
    child?.nodeResults.combine?.data,
    {
      id: 'c-42',
      name: 'Ada',
      tier: 'gold',
      score: 712,
    },
  );
  expectEqual('enrich output (mapped from the child)', parent.nodeResults.enrich?.data, {
    customerScore: 712,
    tier: 'gold',
  });
  expectEqual('welcome', parent.nodeResults.welcome?.data, {
    message: 'Welcome, gold customer (score 712)',
  });

  say('2. the grandchild fails: the failure climbs to the parent');
  const badId = await engine.enqueueWorkflow('onboarding', {
    customer: { id: 'c-unknown', name: 'Bob' },
  });
  const bad = await engine.waitForExecution(badId, { timeoutMs: 10_000 });
  const badChild = await childOf(badId);
  const badGrandchild = badChild ? await childOf(badChild.executionId) : null;
  say(`  credit-score ${badGrandchild?.status}: ${badGrandchild?.error}`);
  say(`  enrich-customer ${badChild?.status}: ${badChild?.error}`);
  say(`  onboarding ${bad.status}: ${bad.error}`);
  expectEqual(
    'statuses, grandchild to parent',
    [badGrandchild?.status, badChild?.status, bad.status],
    ['failed', 'failed', 'failed'],
  );
  expectEqual(
    'parent enrich node error',
    bad.nodeResults.enrich?.error,
    `sub-workflow 'enrich-customer' (execution ${badChild?.executionId}) failed: Node 'score' failed: sub-workflow 'credit-score' (execution ${badGrandchild?.executionId}) failed: Node 'ask-bureau' failed: no credit record`,
  );
  expectEqual('welcome after the failure (never ran)', bad.nodeResults.welcome?.status, 'pending');
  const dlq = await engine.getDLQItems();
  say(`  dead letter queue: ${dlq.map((d) => `${d.workflowId}/${d.nodeId}`).join(', ')}`);
  check(
    dlq.some((d) => d.executionId === badId && d.nodeId === 'enrich'),
    'the parent enrich node should be in the dead letter queue',
  );
  return 'mapped data went down two levels and back up, and the grandchild failure failed the child and the parent';
});

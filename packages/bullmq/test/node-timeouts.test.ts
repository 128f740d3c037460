import { InvalidArgumentError, NodeRegistry, type WorkflowDefinition } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { expect } from 'vitest';
import { resolveEngineOptions } from '../src/engine-options.js';
import { WorkflowEngine, type WorkflowEngineOptions } from '../src/index.js';
import { exec, REDIS_URL, silentLogger, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

/** An executor that never settles and ignores its signal. */
const never = exec(() => new Promise(() => {}));

const once = { retry: { attempts: 1 } };

it('an executor that never resolves fails with the engine default timeout and frees its slot', async ({
  harness,
}) => {
  const h = await harness({ defaultNodeTimeoutMs: 300 });
  h.registry.register('never', never);
  h.registry.register(
    'step',
    exec(async () => ({ success: true, data: {} })),
  );
  await h.engine.registerWorkflow(wf('stuck', [{ id: 'N', type: 'never' }], { defaults: once }));
  await h.engine.registerWorkflow(wf('quick', [{ id: 'S', type: 'step' }]));
  // One slot: the second execution runs only once the stuck node gave it up.
  await h.engine.startWorkers(1);
  const stuck = await h.engine.enqueueWorkflow('stuck', {});
  const quick = await h.engine.enqueueWorkflow('quick', {});
  const failed = await h.engine.waitForExecution(stuck, { timeoutMs: 10_000 });
  expect(failed.status).toBe('failed');
  expect(failed.nodeResults.N).toMatchObject({
    status: 'failed',
    error: "Node 'N' timed out after 300 ms",
  });
  expect((await h.engine.waitForExecution(quick, { timeoutMs: 10_000 })).status).toBe('completed');
});

it('a node timeout beats the workflow default, which beats the node type, which beats the engine default', async ({
  harness,
}) => {
  const h = await harness({ defaultNodeTimeoutMs: 200 });
  h.registry.register('never', never);
  h.registry.register('typed', never, { timeoutMs: 400 });
  const cases: [string, WorkflowDefinition, number][] = [
    ['engine', wf('engine', [{ id: 'X', type: 'never' }], { defaults: once }), 200],
    ['type', wf('type', [{ id: 'X', type: 'typed' }], { defaults: once }), 400],
    [
      'workflow',
      wf('workflow', [{ id: 'X', type: 'typed' }], { defaults: { ...once, timeoutMs: 500 } }),
      500,
    ],
    [
      'node',
      wf('node', [{ id: 'X', type: 'typed', timeoutMs: 600 }], {
        defaults: { ...once, timeoutMs: 500 },
      }),
      600,
    ],
  ];
  for (const [, definition] of cases) await h.engine.registerWorkflow(definition);
  await h.engine.startWorkers(4);
  const ids = await Promise.all(cases.map(([id]) => h.engine.enqueueWorkflow(id, {})));
  const states = await Promise.all(
    ids.map((id) => h.engine.waitForExecution(id, { timeoutMs: 10_000 })),
  );
  expect(states.map((s) => s.nodeResults.X?.error)).toEqual(
    cases.map(([, , ms]) => `Node 'X' timed out after ${ms} ms`),
  );
});

it('the engine default node timeout is 5 minutes; 0 and null set none; the other new options default as documented', () => {
  expect(resolveEngineOptions({}).defaultNodeTimeoutMs).toBe(300_000);
  expect(resolveEngineOptions({ defaultNodeTimeoutMs: 1_234 }).defaultNodeTimeoutMs).toBe(1_234);
  expect(resolveEngineOptions({ defaultNodeTimeoutMs: 0 }).defaultNodeTimeoutMs).toBeUndefined();
  expect(resolveEngineOptions({ defaultNodeTimeoutMs: null }).defaultNodeTimeoutMs).toBeUndefined();
  expect(resolveEngineOptions({})).toMatchObject({
    lockDurationMs: 15_000,
    stalledIntervalMs: 5_000,
    maxStalledCount: 10,
    shutdownGraceMs: 10_000,
    enqueueTimeoutMs: 10_000,
    reconcileIntervalMs: 30_000,
    infraRetryMs: 300_000,
    maxNodeCrashes: 3,
    missingNodeTypeWaitMs: 60_000,
    redisStallWarnMs: 5_000,
  });
});

it('engine options that are not whole milliseconds up to MAX_TIMEOUT_MS, or not a retry policy, are refused with InvalidArgumentError', () => {
  const registry = new NodeRegistry();
  const store = new InMemoryExecutionStore();
  const bad = [
    { defaultNodeTimeoutMs: -1 },
    { defaultNodeTimeoutMs: 1.5 },
    { defaultNodeTimeoutMs: 2 ** 31 },
    { maxNodeCrashes: -1 },
    { maxNodeCrashes: Number.NaN },
    { missingNodeTypeWaitMs: Number.POSITIVE_INFINITY },
    { redisStallWarnMs: -5 },
    { lockDurationMs: 0 },
    { lockDurationMs: 2 ** 31 },
    { stalledIntervalMs: 0 },
    { stalledIntervalMs: 1e20 },
    { maxStalledCount: -1 },
    { shutdownGraceMs: 2 ** 31 },
    { shutdownGraceMs: Number.NaN },
    { enqueueTimeoutMs: 0 },
    { enqueueTimeoutMs: 1e300 },
    { reconcileIntervalMs: 2 ** 31 },
    { reconcileIntervalMs: -1 },
    { infraRetryMs: 1e20 },
    { defaultRetry: { attempts: 3, backoff: { type: 'fixed', delayMs: 1e300 } } },
    {
      defaultRetry: {
        attempts: 3,
        backoff: { type: 'exponential', delayMs: 1, maxDelayMs: 2 ** 31 },
      },
    },
    { defaultRetry: { attempts: 0 } },
    { defaultRetry: { attempts: 1e9 } },
  ] as WorkflowEngineOptions[];
  for (const options of bad) {
    expect(
      () => new WorkflowEngine(registry, store, REDIS_URL, { ...options, logger: silentLogger }),
      JSON.stringify(options),
    ).toThrow(InvalidArgumentError);
  }
});

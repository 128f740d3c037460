/**
 * Two limits, measured: a workflow's `maxConcurrency` (nodes of the workflow running at once,
 * across all its executions) and a node type's `rateLimit` (starts per time window, across
 * every worker), which does not slow other node types.
 */
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample, work } from '@spane-examples/kit';

await runExample('parallel-limits', async ({ prefix, redis, say, expectEqual, check, defer }) => {
  const t0 = Date.now();
  const at = () => `+${String(Date.now() - t0).padStart(4)} ms`;
  const resize = { running: 0, maxRunning: 0, runs: 0 };
  const smsStarts: number[] = [];
  const logDone: number[] = [];

  const registry = new NodeRegistry();
  registry.register('list', {
    execute: async (ctx) => ({ success: true, data: { album: ctx.inputData.album } }),
  });
  registry.register('resize', {
    execute: async (ctx) => {
      resize.running += 1;
      resize.runs += 1;
      resize.maxRunning = Math.max(resize.maxRunning, resize.running);
      say(`  ${at()} ${ctx.inputData.album}/${ctx.nodeId} starts (${resize.running} running)`);
      try {
        await work(150, ctx.signal); // the work itself
      } finally {
        resize.running -= 1;
      }
      return { success: true, data: `${ctx.nodeId}.jpg` };
    },
  });
  registry.register('zip', {
    execute: async (ctx) => ({ success: true, data: Object.values(ctx.inputData).sort() }),
  });
  // At most 2 starts per 500 ms, for the whole type, across every worker and process.
  registry.register(
    'send-sms',
    {
      execute: async (ctx) => {
        smsStarts.push(Date.now());
        say(`  ${at()} sms to ${ctx.inputData.to}`);
        return { success: true };
      },
    },
    { rateLimit: { max: 2, durationMs: 500 } },
  );
  registry.register('log', {
    execute: async () => {
      logDone.push(Date.now());
      return { success: true };
    },
  });

  const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
  defer(() => engine.close());
  const photos = ['p1', 'p2', 'p3', 'p4'];
  await engine.registerWorkflow({
    id: 'thumbnails',
    name: 'Thumbnails',
    maxConcurrency: 2,
    nodes: [
      { id: 'list', type: 'list' },
      ...photos.map((id) => ({ id, type: 'resize', inputs: ['list'] })),
      { id: 'zip', type: 'zip', inputs: photos },
    ],
  });
  await engine.registerWorkflow({
    id: 'alert',
    name: 'Alert',
    nodes: [{ id: 'sms', type: 'send-sms' }],
  });
  await engine.registerWorkflow({
    id: 'audit',
    name: 'Audit',
    nodes: [{ id: 'log', type: 'log' }],
  });
  await engine.startWorkers(10); // plenty of worker slots: only the limits hold nodes back

  say('1. maxConcurrency 2: two executions, 4 resize nodes each, 10 worker slots');
  const albums = await engine.enqueueWorkflows([
    { workflowId: 'thumbnails', initialData: { album: 'summer' } },
    { workflowId: 'thumbnails', initialData: { album: 'winter' } },
  ]);
  const done = await Promise.all(
    albums.map((id) => engine.waitForExecution(id, { timeoutMs: 20_000 })),
  );
  say(
    `  both ${done.map((s) => s.status).join(' and ')}; at most ${resize.maxRunning} ran at once`,
  );
  expectEqual(
    'statuses',
    done.map((s) => s.status),
    ['completed', 'completed'],
  );
  expectEqual('resize runs', resize.runs, 8);
  expectEqual('most resize nodes running at once', resize.maxRunning, 2);
  expectEqual('zip output', done[0]?.nodeResults.zip?.data, [
    'p1.jpg',
    'p2.jpg',
    'p3.jpg',
    'p4.jpg',
  ]);

  say('2. rateLimit 2 per 500 ms on send-sms: 6 alerts and 6 audits at once');
  const t1 = Date.now();
  const alerts = await engine.enqueueWorkflows(
    ['ann', 'bob', 'cy', 'dee', 'eve', 'fay'].map((to) => ({
      workflowId: 'alert',
      initialData: { to },
    })),
  );
  const audits = await engine.enqueueWorkflows(
    Array.from({ length: 6 }, () => ({ workflowId: 'audit' })),
  );
  const finished = await Promise.all(
    [...alerts, ...audits].map((id) => engine.waitForExecution(id, { timeoutMs: 20_000 })),
  );
  expectEqual(
    'all alerts and audits completed',
    finished.filter((s) => s.status === 'completed').length,
    12,
  );
  smsStarts.sort((a, b) => a - b);
  const offsets = smsStarts.map((t) => t - t1);
  say(`  sms starts at ${offsets.map((o) => `${o} ms`).join(', ')}`);
  say(`  the 6 audits (no limit) were done ${Math.max(...logDone) - t1} ms after enqueueing`);
  expectEqual('sms sent', smsStarts.length, 6);
  // No 3 starts within one 500 ms window. The times are taken in the executor, after a store
  // call, so a loaded machine can shift one start a little: allow 200 ms for that.
  for (let i = 0; i + 2 < smsStarts.length; i++) {
    const gap = smsStarts[i + 2]! - smsStarts[i]!;
    check(
      gap >= 300,
      `sms ${i + 1} and ${i + 3} started only ${gap} ms apart (limit: 2 per 500 ms)`,
    );
  }
  check(
    offsets[5]! >= 900,
    `the 6th sms started ${offsets[5]} ms in; 2 per 500 ms means about 1000 ms`,
  );
  check(
    Math.max(...logDone) < smsStarts[5]!,
    'the unlimited audit node should not have waited for the rate-limited sms node',
  );
  return 'maxConcurrency kept the thumbnails workflow at 2 running nodes, and send-sms never started more than 2 per 500 ms while other types ran freely';
});

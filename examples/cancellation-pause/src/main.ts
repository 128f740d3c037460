/**
 * Pause and resume an execution, cancel a running one whose executor honours `ctx.signal`,
 * and a node `timeoutMs` that aborts a slow call.
 */
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry, NodeTimeoutError } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample, work } from '@spane-examples/kit';

/** A promise with its resolve function: executors wait on these instead of on time. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

await runExample(
  'cancellation-pause',
  async ({ prefix, redis, say, expectEqual, check, defer, until, nextEvent }) => {
    const ran: string[] = [];
    const releaseBuild = gate();
    const abortReasons: unknown[] = [];

    const registry = new NodeRegistry();
    // Waits until the example opens its gate (so the example controls when it finishes).
    registry.register('build', {
      execute: async (ctx) => {
        ran.push(`${ctx.workflowId}/${ctx.nodeId}`);
        await releaseBuild.opened;
        return { success: true, data: { built: true } };
      },
    });
    registry.register('step', {
      execute: async (ctx) => {
        ran.push(`${ctx.workflowId}/${ctx.nodeId}`);
        return { success: true, data: { [ctx.nodeId]: 'done' } };
      },
    });
    // A long download that stops as soon as its signal is aborted (cancel, timeout).
    registry.register('download', {
      execute: async (ctx) => {
        ran.push(`${ctx.workflowId}/${ctx.nodeId}`);
        say(`  ${ctx.nodeId}: started a 30 s download`);
        try {
          await work(30_000, ctx.signal);
        } catch (reason) {
          abortReasons.push(reason);
          say(`  ${ctx.nodeId}: signal aborted (${describe(reason)}), stopping`);
          throw reason;
        }
        return { success: true, data: { bytes: 1 } };
      },
    });

    const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
    defer(() => engine.close());
    await engine.registerWorkflow({
      id: 'release',
      name: 'Release',
      nodes: [
        { id: 'build', type: 'build' },
        { id: 'test', type: 'step', inputs: ['build'] },
        { id: 'publish', type: 'step', inputs: ['test'] },
      ],
    });
    await engine.registerWorkflow({
      id: 'probe',
      name: 'Probe',
      nodes: [{ id: 'ping', type: 'step' }],
    });
    await engine.registerWorkflow({
      id: 'export',
      name: 'Export',
      nodes: [
        { id: 'download', type: 'download' },
        { id: 'upload', type: 'step', inputs: ['download'] },
      ],
    });
    await engine.registerWorkflow({
      id: 'lookup',
      name: 'Lookup',
      nodes: [{ id: 'call-api', type: 'download', timeoutMs: 200, retry: { attempts: 1 } }],
    });
    // One worker slot, first come first served: a later execution finishing proves that
    // every job queued before it has had its turn.
    await engine.startWorkers(1);

    say('1. pause and resume');
    const releaseStarted = nextEvent(engine, 'node:started', (e) => e.nodeId === 'build');
    const release = await engine.enqueueWorkflow('release', { version: '1.2.0' });
    await releaseStarted;
    say('  build is running; pausing the execution');
    await engine.pauseWorkflow(release);
    expectEqual('status after pause', (await engine.getExecution(release))?.status, 'paused');
    releaseBuild.open();
    await until('build to be recorded while paused', async () => {
      const state = await engine.getExecution(release);
      return state?.nodeResults.build?.status === 'completed';
    });
    say('  build finished while paused and was recorded; test is ready but must not start');
    const probe = await engine.enqueueWorkflow('probe');
    await engine.waitForExecution(probe, { timeoutMs: 10_000 });
    const paused = await engine.getExecution(release);
    say(
      `  after a later execution ran: status ${paused?.status}, test ${paused?.nodeResults.test?.status}, publish ${paused?.nodeResults.publish?.status}`,
    );
    expectEqual('status while paused', paused?.status, 'paused');
    expectEqual('test while paused', paused?.nodeResults.test?.status, 'queued');
    check(!ran.includes('release/test'), 'test started while the execution was paused');
    say('  resuming');
    await engine.resumeWorkflow(release);
    const resumed = await engine.waitForExecution(release, { timeoutMs: 10_000 });
    say(`  execution ${resumed.status}`);
    expectEqual('status after resume', resumed.status, 'completed');
    expectEqual(
      'nodes of release that ran',
      ran.filter((r) => r.startsWith('release/')),
      ['release/build', 'release/test', 'release/publish'],
    );

    say('2. cancel a running execution');
    const downloadStarted = nextEvent(engine, 'node:started', (e) => e.nodeId === 'download');
    const cancelledEvent = nextEvent(engine, 'workflow:cancelled', () => true);
    const exportId = await engine.enqueueWorkflow('export');
    await downloadStarted;
    const before = Date.now();
    await engine.cancelWorkflow(exportId);
    const cancelled = await engine.getExecution(exportId);
    say(
      `  cancelWorkflow returned after ${Date.now() - before} ms: status ${cancelled?.status}, download ${cancelled?.nodeResults.download?.status}, upload ${cancelled?.nodeResults.upload?.status}`,
    );
    await cancelledEvent;
    say('  event workflow:cancelled received');
    expectEqual('status after cancel', cancelled?.status, 'cancelled');
    expectEqual('download after cancel', cancelled?.nodeResults.download?.status, 'cancelled');
    expectEqual('upload after cancel', cancelled?.nodeResults.upload?.status, 'cancelled');
    expectEqual('abort reasons seen by download', abortReasons.map(describe), ['AbortError']);
    check(!ran.includes('export/upload'), 'upload ran after the cancel');

    say('3. a node timeout');
    abortReasons.length = 0;
    const lookup = await engine.enqueueWorkflow('lookup');
    const timedOut = await engine.waitForExecution(lookup, { timeoutMs: 10_000 });
    say(`  execution ${timedOut.status}: ${timedOut.nodeResults['call-api']?.error}`);
    expectEqual('status after the timeout', timedOut.status, 'failed');
    expectEqual(
      'call-api error',
      timedOut.nodeResults['call-api']?.error,
      "Node 'call-api' timed out after 200 ms",
    );
    check(
      abortReasons.length === 1 && abortReasons[0] instanceof NodeTimeoutError,
      `call-api should have seen its signal aborted with a NodeTimeoutError, saw ${abortReasons.map(describe)}`,
    );
    return 'pause held the next node until resume, cancel aborted the running download, and the 200 ms timeout aborted the slow call';
  },
);

function describe(reason: unknown): string {
  if (reason instanceof NodeTimeoutError) return `NodeTimeoutError: ${reason.message}`;
  return reason instanceof Error ? reason.name : String(reason);
}

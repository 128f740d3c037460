import { describe, expect } from 'vitest';
import { deferred, exec, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

describe('workflow versions', () => {
  it('runs finish on the version they started with; new runs use the new one', async ({
    harness,
  }) => {
    const h = await harness();
    const started = deferred();
    const release = deferred();
    let held = false;
    const ran: string[] = [];
    h.registry.register(
      'gate',
      exec(async (ctx) => {
        ran.push(`${ctx.executionId}/${ctx.nodeId}`);
        if (!held) {
          held = true;
          started.resolve();
          await release.promise;
        }
        return { success: true, data: 'gate' };
      }),
    );
    h.registry.register(
      'step',
      exec(async (ctx) => {
        ran.push(`${ctx.executionId}/${ctx.nodeId}`);
        return { success: true, data: ctx.nodeConfig.label };
      }),
    );
    const v1 = await h.engine.registerWorkflow(
      wf('evolving', [
        { id: 'A', type: 'gate' },
        { id: 'B', type: 'step', inputs: ['A'], config: { label: 'v1' } },
      ]),
    );
    await h.engine.startWorkers(2);
    const old = await h.engine.enqueueWorkflow('evolving');
    await started.promise;

    const v2 = await h.engine.registerWorkflow(
      wf('evolving', [
        { id: 'A', type: 'gate' },
        { id: 'C', type: 'step', inputs: ['A'], config: { label: 'v2' } },
      ]),
    );
    expect(v2.version).not.toBe(v1.version);
    release.resolve();
    const oldState = await h.engine.waitForExecution(old, { timeoutMs: 5_000 });
    expect(oldState.status).toBe('completed');
    expect(oldState.workflowVersion).toBe(v1.version);
    expect(Object.keys(oldState.nodeResults).sort()).toEqual(['A', 'B']);
    expect(oldState.nodeResults.B?.data).toBe('v1');

    const fresh = await h.engine.enqueueWorkflow('evolving');
    const freshState = await h.engine.waitForExecution(fresh, { timeoutMs: 5_000 });
    expect(freshState.workflowVersion).toBe(v2.version);
    expect(Object.keys(freshState.nodeResults).sort()).toEqual(['A', 'C']);
    expect(freshState.nodeResults.C?.data).toBe('v2');
    expect(ran.filter((r) => r.endsWith('/B'))).toEqual([`${old}/B`]);

    expect((await h.engine.getWorkflow('evolving'))?.version).toBe(v2.version);
    const first = await h.engine.getWorkflow('evolving', { version: v1.version });
    expect(first?.definition.nodes.map((n) => n.id)).toEqual(['A', 'B']);
    expect((await h.engine.listWorkflowVersions('evolving')).map((w) => w.version)).toEqual([
      v1.version,
      v2.version,
    ]);
    // Registering the same definition again creates no version.
    const same = await h.engine.registerWorkflow(
      wf('evolving', [
        { id: 'A', type: 'gate' },
        { id: 'C', type: 'step', inputs: ['A'], config: { label: 'v2' } },
      ]),
    );
    expect(same.version).toBe(v2.version);
    expect(await h.engine.listWorkflowVersions('evolving')).toHaveLength(2);
  });
});

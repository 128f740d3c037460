import {
  ExecutionNotFoundError,
  InvalidArgumentError,
  NodeNotFoundError,
  NonRetryableError,
} from '@spane/core';
import { describe, expect } from 'vitest';
import { deferred, exec, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { noop } from './support/stock-executors.js';

describe('replay', () => {
  it('re-runs a whole execution, or only a node and its descendants reusing the rest', async ({
    harness,
  }) => {
    const h = await harness();
    const runs = new Map<string, number>();
    const inputs = new Map<string, unknown[]>();
    let failC = true;
    const dRan = deferred();
    h.engine.on('node:completed', (e) => {
      if (e.nodeId === 'D') dRan.resolve();
    });
    h.registry.register(
      'step',
      exec(async (ctx) => {
        const n = (runs.get(ctx.nodeId) ?? 0) + 1;
        runs.set(ctx.nodeId, n);
        inputs.set(ctx.nodeId, [...(inputs.get(ctx.nodeId) ?? []), ctx.inputData]);
        // C fails once D has completed, so that the replays find D's result to reuse (the
        // job of A carries B and C, which could otherwise fail the run before D starts).
        if (ctx.nodeId === 'C' && failC) {
          await dRan.promise;
          throw new NonRetryableError('C is broken');
        }
        return { success: true, data: `${ctx.nodeId}#${n}` };
      }),
    );
    // A → B → C → E, A → D → E
    await h.engine.registerWorkflow(
      wf('pipeline', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step', inputs: ['A'] },
        { id: 'C', type: 'step', inputs: ['B'] },
        { id: 'D', type: 'step', inputs: ['A'] },
        { id: 'E', type: 'step', inputs: ['C', 'D'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const original = await h.engine.enqueueWorkflow('pipeline', { order: 7 }, { priority: 4 });
    const failed = await h.engine.waitForExecution(original, { timeoutMs: 5_000 });
    expect(failed.status).toBe('failed');
    expect(Object.fromEntries(runs)).toEqual({ A: 1, B: 1, C: 1, D: 1 });

    // The bug in C is fixed: replay from C. A, B and D keep their results; C and E run.
    failC = false;
    const fromC = await h.engine.replayWorkflow(original, { fromNodeId: 'C' });
    const replayed = await h.engine.waitForExecution(fromC, { timeoutMs: 5_000 });
    expect(replayed.status).toBe('completed');
    expect(Object.fromEntries(runs)).toEqual({ A: 1, B: 1, C: 2, D: 1, E: 1 });
    expect(replayed.nodeResults.A?.data).toBe('A#1');
    expect(replayed.nodeResults.B?.data).toBe('B#1');
    expect(replayed.nodeResults.D?.data).toBe('D#1');
    expect(replayed.nodeResults.C?.data).toBe('C#2');
    expect(inputs.get('C')).toEqual(['B#1', 'B#1']);
    expect(inputs.get('E')).toEqual([{ C: 'C#2', D: 'D#1' }]);
    expect(replayed.metadata).toEqual({
      replayedFrom: original,
      replayedFromNode: 'C',
      reusedNodes: ['A', 'B', 'D'],
    });
    expect(replayed).toMatchObject({ initialData: { order: 7 }, priority: 4, depth: 0 });
    expect(replayed.workflowVersion).toBe(failed.workflowVersion);

    // Replay from B re-runs B, C and E but not D (not a descendant of B).
    const fromB = await h.engine.replayWorkflow(fromC, { fromNodeId: 'B' });
    expect((await h.engine.waitForExecution(fromB, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(Object.fromEntries(runs)).toEqual({ A: 1, B: 2, C: 3, D: 1, E: 2 });

    // A whole replay runs every node again with the original input.
    const whole = await h.engine.replayWorkflow(original);
    const wholeState = await h.engine.waitForExecution(whole, { timeoutMs: 5_000 });
    expect(wholeState.status).toBe('completed');
    expect(wholeState.metadata).toEqual({ replayedFrom: original });
    expect(Object.fromEntries(runs)).toEqual({ A: 2, B: 3, C: 4, D: 2, E: 3 });
    expect(inputs.get('A')).toEqual([{ order: 7 }, { order: 7 }]);
  });

  it('rejects unknown executions and nodes, and nodes that were skipped', async ({ harness }) => {
    const h = await harness();
    h.registry.register(
      'pick',
      exec(async () => ({ success: true, nextNodes: ['L'] })),
    );
    h.registry.register('step', noop);
    await h.engine.registerWorkflow(
      wf('branchy', [
        { id: 'P', type: 'pick' },
        { id: 'L', type: 'step', inputs: ['P'] },
        { id: 'R', type: 'step', inputs: ['P'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('branchy');
    expect((await h.engine.waitForExecution(id, { timeoutMs: 5_000 })).status).toBe('completed');
    await expect(h.engine.replayWorkflow('nope')).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await expect(h.engine.replayWorkflow(id, { fromNodeId: 'Z' })).rejects.toBeInstanceOf(
      NodeNotFoundError,
    );
    await expect(h.engine.replayWorkflow(id, { fromNodeId: 'R' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const fromL = await h.engine.replayWorkflow(id, { fromNodeId: 'L' });
    const state = await h.engine.waitForExecution(fromL, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.R).toMatchObject({ status: 'skipped', skipReason: 'not-selected' });
  });
});

import type { ExecutionResult } from '@spane/core';
import { describe, expect } from 'vitest';
import { barrier, exec, record, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

interface Seen {
  inputData: unknown;
  previousResults: Record<string, ExecutionResult>;
}

describe('data flow', () => {
  it('runs a chain A → B → C, each node getting its parent’s data', async ({ harness }) => {
    const h = await harness();
    const seen = new Map<string, Seen>();
    h.registry.register(
      'add',
      exec(async (ctx) => {
        seen.set(ctx.nodeId, { inputData: ctx.inputData, previousResults: ctx.previousResults });
        return {
          success: true,
          data: { by: ctx.nodeId, n: (ctx.inputData as { n: number }).n + 1 },
        };
      }),
    );
    await h.engine.registerWorkflow(
      wf('chain', [
        { id: 'A', type: 'add' },
        { id: 'B', type: 'add', inputs: ['A'] },
        { id: 'C', type: 'add', inputs: ['B'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('chain', { n: 1 });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('completed');
    expect(seen.get('A')).toEqual({ inputData: { n: 1 }, previousResults: {} });
    expect(seen.get('B')).toEqual({
      inputData: { by: 'A', n: 2 },
      previousResults: { A: { success: true, data: { by: 'A', n: 2 } } },
    });
    expect(seen.get('C')).toEqual({
      inputData: { by: 'B', n: 3 },
      previousResults: { B: { success: true, data: { by: 'B', n: 3 } } },
    });
    expect(state.nodeResults.C).toMatchObject({ status: 'completed', data: { by: 'C', n: 4 } });
  });

  it('joins a diamond once when both branches finish at the same instant', async ({ harness }) => {
    const h = await harness();
    // B and C each wait until the other has started, then both return in the same tick:
    // their completions race to release D.
    const both = barrier(2);
    let dCalls = 0;
    let dSeen: Seen | undefined;
    h.registry.register(
      'src',
      exec(async () => ({ success: true, data: 'a' })),
    );
    h.registry.register(
      'branch',
      exec(async (ctx) => {
        await both.arrive();
        return { success: true, data: `${ctx.nodeId}:${String(ctx.inputData)}` };
      }),
    );
    h.registry.register(
      'join',
      exec(async (ctx) => {
        dCalls += 1;
        dSeen = { inputData: ctx.inputData, previousResults: ctx.previousResults };
        return { success: true, data: 'd' };
      }),
    );
    await h.engine.registerWorkflow(
      wf('diamond', [
        { id: 'A', type: 'src' },
        { id: 'B', type: 'branch', inputs: ['A'] },
        { id: 'C', type: 'branch', inputs: ['A'] },
        { id: 'D', type: 'join', inputs: ['B', 'C'] },
      ]),
    );
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('diamond');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('completed');
    expect(both.arrived).toBe(2);
    expect(dCalls).toBe(1);
    expect(dSeen).toEqual({
      inputData: { B: 'B:a', C: 'C:a' },
      previousResults: {
        B: { success: true, data: 'B:a' },
        C: { success: true, data: 'C:a' },
      },
    });
    expect(state.nodeResults.D).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('runs fan-out branches at the same time', async ({ harness }) => {
    const h = await harness();
    // Each branch waits until all four are running: run one after another, they would
    // never finish and waitForExecution would time out.
    const allFour = barrier(4);
    let maxRunning = 0;
    let running = 0;
    h.registry.register(
      'src',
      exec(async () => ({ success: true, data: 0 })),
    );
    h.registry.register(
      'branch',
      exec(async (ctx) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await allFour.arrive();
        running -= 1;
        return { success: true, data: ctx.nodeId };
      }),
    );
    await h.engine.registerWorkflow(
      wf('fanout', [
        { id: 'A', type: 'src' },
        ...['B1', 'B2', 'B3', 'B4'].map((id) => ({ id, type: 'branch', inputs: ['A'] })),
      ]),
    );
    await h.engine.startWorkers(8);
    const id = await h.engine.enqueueWorkflow('fanout');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });

    expect(state.status).toBe('completed');
    expect(maxRunning).toBe(4);
    for (const b of ['B1', 'B2', 'B3', 'B4']) {
      expect(state.nodeResults[b]).toMatchObject({ status: 'completed', data: b });
    }
  });

  it('skips unselected branches, cascades the skip and joins on the branch that ran', async ({
    harness,
  }) => {
    const h = await harness();
    const calls = new Map<string, number>();
    let jSeen: Seen | undefined;
    h.registry.register(
      'pick',
      exec(async () => ({ success: true, data: 'picked', nextNodes: ['X'] })),
    );
    h.registry.register(
      'step',
      exec(async (ctx) => {
        calls.set(ctx.nodeId, (calls.get(ctx.nodeId) ?? 0) + 1);
        if (ctx.nodeId === 'J') {
          jSeen = { inputData: ctx.inputData, previousResults: ctx.previousResults };
        }
        return { success: true, data: `${ctx.nodeId}-out` };
      }),
    );
    // S ─┬─ X ─────┐
    //    └─ Y ─ Z ─┴─ J
    await h.engine.registerWorkflow(
      wf('branching', [
        { id: 'S', type: 'pick' },
        { id: 'X', type: 'step', inputs: ['S'] },
        { id: 'Y', type: 'step', inputs: ['S'] },
        { id: 'Z', type: 'step', inputs: ['Y'] },
        { id: 'J', type: 'step', inputs: ['X', 'Z'] },
      ]),
    );
    const skipped = record(h.engine, 'node:skipped');
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('branching');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('completed');
    expect(Object.fromEntries(calls)).toEqual({ X: 1, J: 1 });
    expect(state.nodeResults.Y).toMatchObject({ status: 'skipped', skipReason: 'not-selected' });
    expect(state.nodeResults.Z).toMatchObject({
      status: 'skipped',
      skipReason: 'upstream-skipped',
    });
    expect(jSeen).toEqual({
      inputData: { X: 'X-out' },
      previousResults: { X: { success: true, data: 'X-out' } },
    });
    await until(() => skipped.length >= 2, 5_000, 'node:skipped events');
    expect(
      skipped.map((e) => ({ executionId: e.executionId, nodeId: e.nodeId, reason: e.reason })),
    ).toEqual([
      { executionId: id, nodeId: 'Y', reason: 'not-selected' },
      { executionId: id, nodeId: 'Z', reason: 'upstream-skipped' },
    ]);
  });
});

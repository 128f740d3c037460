import type { EngineEventMap, ExecutionEventName, ExecutionState, NodeState } from '@spane/core';
import { describe, expect, it } from 'vitest';
import { applyFrame } from '../src/app/model/live-state.js';

const EXEC = 'exec-1';
const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:00:02.500Z';

function execution(nodeResults: Record<string, NodeState> = {}): ExecutionState {
  return {
    executionId: EXEC,
    workflowId: 'wf',
    workflowVersion: '1',
    tenantId: 'default',
    status: 'running',
    nodeResults,
    createdAt: T0,
    depth: 0,
    metadata: {},
    version: 3,
  };
}

const base = { eventId: 'e', executionId: EXEC, workflowId: 'wf', tenantId: 'default' };
const nodeBase = { ...base, nodeId: 'a', nodeType: 't' };

/** The payload of event `name` with the fields every event carries, as JSON text. */
function frame<E extends ExecutionEventName>(
  name: E,
  payload: Omit<EngineEventMap[E], keyof typeof base | 'timestamp'> &
    Partial<Pick<EngineEventMap[E], keyof typeof base | 'timestamp'>>,
): [E, string] {
  return [name, JSON.stringify({ ...base, timestamp: T1, ...payload })];
}

/** A deep copy, to check that applying a frame left its input as it was. */
const snapshot = (state: ExecutionState): ExecutionState => structuredClone(state);

describe('applyFrame: state frames', () => {
  it('replaces the execution with a state frame of the same execution', () => {
    const state = execution();
    const next = {
      ...execution({ a: { status: 'completed', attempts: 1, data: 42 } }),
      version: 9,
    };
    const applied = applyFrame(state, 'state', JSON.stringify(next));
    expect(applied).toEqual({ state: next, refresh: false });
  });

  it('ignores a state frame of another execution, or one that is not an object', () => {
    const state = execution();
    const other = { ...execution(), executionId: 'exec-2', status: 'failed' };
    expect(applyFrame(state, 'state', JSON.stringify(other)).state).toBe(state);
    expect(applyFrame(state, 'state', 'null').state).toBe(state);
    expect(applyFrame(state, 'state', '"text"').state).toBe(state);
  });
});

describe('applyFrame: node events', () => {
  it('node:started makes the node running, with its attempt and start time', () => {
    const state = execution();
    const before = snapshot(state);
    const { state: next, refresh } = applyFrame(
      state,
      ...frame('node:started', { ...nodeBase, attempt: 1 }),
    );
    expect(next.nodeResults.a).toEqual({ status: 'running', attempts: 1, startedAt: T1 });
    expect(refresh).toBe(false);
    expect(state).toEqual(before);
  });

  it('node:started of a retry keeps the first start time and clears the last error', () => {
    const state = execution({
      a: { status: 'delayed', attempts: 1, startedAt: T0, error: 'boom', finishedAt: T0 },
    });
    const { state: next } = applyFrame(
      state,
      ...frame('node:started', { ...nodeBase, attempt: 2 }),
    );
    expect(next.nodeResults.a).toEqual({ status: 'running', attempts: 2, startedAt: T0 });
  });

  it('never lowers the attempt count (an event repeated late)', () => {
    const state = execution({ a: { status: 'running', attempts: 3, startedAt: T0 } });
    const { state: next } = applyFrame(
      state,
      ...frame('node:started', { ...nodeBase, attempt: 2 }),
    );
    expect(next.nodeResults.a!.attempts).toBe(3);
  });

  it('node:completed makes the node completed, with its finish time, and asks for a refresh', () => {
    const state = execution({ a: { status: 'running', attempts: 1, startedAt: T0 } });
    const before = snapshot(state);
    const applied = applyFrame(
      state,
      ...frame('node:completed', { ...nodeBase, attempt: 1, durationMs: 2500 }),
    );
    expect(applied.state.nodeResults.a).toEqual({
      status: 'completed',
      attempts: 1,
      startedAt: T0,
      finishedAt: T1,
    });
    expect(applied.refresh).toBe(true);
    expect(state).toEqual(before);
  });

  it('node:completed of a node never seen started derives the start from the duration', () => {
    const { state: next } = applyFrame(
      execution(),
      ...frame('node:completed', { ...nodeBase, attempt: 1, durationMs: 2500 }),
    );
    expect(next.nodeResults.a).toEqual({
      status: 'completed',
      attempts: 1,
      startedAt: T0,
      finishedAt: T1,
    });
  });

  it('a final node:failed makes the node failed, with the error, and asks for a refresh', () => {
    const state = execution({ a: { status: 'running', attempts: 2, startedAt: T0 } });
    const applied = applyFrame(
      state,
      ...frame('node:failed', { ...nodeBase, attempt: 2, error: 'boom', final: true }),
    );
    expect(applied.state.nodeResults.a).toEqual({
      status: 'failed',
      attempts: 2,
      startedAt: T0,
      finishedAt: T1,
      error: 'boom',
    });
    expect(applied.refresh).toBe(true);
  });

  it('a node:failed that is not final records the error but leaves the status', () => {
    const state = execution({ a: { status: 'running', attempts: 1, startedAt: T0 } });
    const applied = applyFrame(
      state,
      ...frame('node:failed', { ...nodeBase, attempt: 1, error: 'flaky', final: false }),
    );
    expect(applied.state.nodeResults.a).toEqual({
      status: 'running',
      attempts: 1,
      startedAt: T0,
      error: 'flaky',
    });
    expect(applied.refresh).toBe(false);
  });

  it('node:retrying makes the node delayed, with the error', () => {
    const state = execution({ a: { status: 'running', attempts: 1, startedAt: T0 } });
    const applied = applyFrame(
      state,
      ...frame('node:retrying', { ...nodeBase, attempt: 1, error: 'flaky', delayMs: 1000 }),
    );
    expect(applied.state.nodeResults.a).toEqual({
      status: 'delayed',
      attempts: 1,
      startedAt: T0,
      error: 'flaky',
    });
    expect(applied.refresh).toBe(false);
  });

  it('node:skipped makes the node skipped, with the reason', () => {
    const state = execution();
    const before = snapshot(state);
    const applied = applyFrame(
      state,
      ...frame('node:skipped', { ...nodeBase, nodeId: 'b', reason: 'not-selected' }),
    );
    expect(applied.state.nodeResults.b).toEqual({
      status: 'skipped',
      attempts: 0,
      skipReason: 'not-selected',
    });
    expect(applied.refresh).toBe(false);
    expect(state).toEqual(before);
  });

  it('changes only the node of the event', () => {
    const other: NodeState = { status: 'completed', attempts: 1, data: { x: 1 } };
    const state = execution({ other });
    const { state: next } = applyFrame(
      state,
      ...frame('node:started', { ...nodeBase, attempt: 1 }),
    );
    expect(next.nodeResults.other).toBe(other);
    expect(Object.keys(next.nodeResults).sort()).toEqual(['a', 'other']);
  });

  it('ignores a node event without a node id', () => {
    const state = execution();
    const data = JSON.stringify({ ...base, timestamp: T1, attempt: 1 });
    expect(applyFrame(state, 'node:started', data)).toEqual({ state, refresh: false });
  });
});

describe('applyFrame: workflow events', () => {
  it.each([
    ['workflow:started', 'running', false],
    ['workflow:completed', 'completed', true],
    ['workflow:cancelled', 'cancelled', true],
    ['workflow:paused', 'paused', false],
    ['workflow:resumed', 'running', false],
  ] as const)('%s → %s (refresh %s)', (name, status, refresh) => {
    const state: ExecutionState = {
      ...execution(),
      status: name === 'workflow:resumed' ? 'paused' : 'running',
    };
    const before = snapshot(state);
    const applied = applyFrame(state, ...frame(name, {}));
    expect(applied.state).toEqual({ ...state, status });
    expect(applied.refresh).toBe(refresh);
    expect(state).toEqual(before);
  });

  it('workflow:failed makes the execution failed, with the error', () => {
    const applied = applyFrame(
      execution(),
      ...frame('workflow:failed', { error: 'node a failed', nodeId: 'a' }),
    );
    expect(applied.state.status).toBe('failed');
    expect(applied.state.error).toBe('node a failed');
    expect(applied.refresh).toBe(true);
  });
});

describe('applyFrame: frames it ignores', () => {
  it('ignores events of another execution', () => {
    const state = execution();
    for (const [name, data] of [
      frame('workflow:completed', { executionId: 'exec-2' }),
      frame('node:started', { ...nodeBase, executionId: 'exec-2', attempt: 1 }),
    ]) {
      expect(applyFrame(state, name, data)).toEqual({ state, refresh: false });
    }
  });

  it('ignores frames that are not JSON', () => {
    const state = execution();
    for (const name of ['state', 'node:started', 'workflow:completed']) {
      expect(applyFrame(state, name, '{"executionId":')).toEqual({ state, refresh: false });
      expect(applyFrame(state, name, '')).toEqual({ state, refresh: false });
    }
  });

  it('ignores event names it does not know', () => {
    const state = execution();
    for (const name of ['message', 'breaker:changed', 'node:exploded', 'toString']) {
      const data = JSON.stringify({ ...nodeBase, timestamp: T1, attempt: 1 });
      expect(applyFrame(state, name, data)).toEqual({ state, refresh: false });
    }
  });

  it('reads a null body as an event without fields: no node, no execution to compare', () => {
    const state = execution();
    expect(applyFrame(state, 'node:started', 'null')).toEqual({ state, refresh: false });
    expect(applyFrame(state, 'workflow:completed', 'null').state.status).toBe('completed');
  });
});

import {
  ExecutionNotFoundError,
  PayloadNotStorableError,
  PayloadTooLargeError,
  UnknownSignalError,
  WorkflowValidationError,
} from '@spane/core';
import { describe, expect } from 'vitest';
import { nodeJobId } from '../src/node-jobs.js';
import { deferred, exec, jobsIn, keysOf, record, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { nodeStatus, registerSteps, rejection, waiting } from './support/signal-waits.js';

describe('wait-for-signal nodes', () => {
  it('wait without a worker slot; a signal completes them with its payload and the run goes on', async ({
    harness,
  }) => {
    const h = await harness();
    const inputs = registerSteps(h);
    await h.engine.registerWorkflow(waiting('approval', { name: 'approval' }));
    await h.engine.registerWorkflow(wf('quick', [{ id: 'Q', type: 'sink' }]));
    const started = record(h.engine, 'node:started');
    const completed = record(h.engine, 'node:completed');
    await h.engine.startWorkers(1);

    const id = await h.engine.enqueueWorkflow('approval');
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    expect(await jobsIn(h.redis, h.prefix, 'delayed')).toContain(nodeJobId(id, 'W'));
    // The only worker slot is free: another execution runs meanwhile.
    const quick = await h.engine.enqueueWorkflow('quick');
    expect((await h.engine.waitForExecution(quick, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(await nodeStatus(h, id, 'W')).toBe('delayed');

    const payload = { approved: true, by: 'ann' };
    await h.engine.signal(id, 'approval', payload);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.W).toMatchObject({ status: 'completed', attempts: 1, data: payload });
    expect(inputs.get(id)).toEqual(payload);
    await until(
      () => completed.some((e) => e.executionId === id && e.nodeId === 'B'),
      5_000,
      'events',
    );
    expect(started.filter((e) => e.executionId === id && e.nodeId === 'W')).toHaveLength(1);
    expect(completed.filter((e) => e.executionId === id && e.nodeId === 'W')).toHaveLength(1);
    const span = (await h.engine.getTrace(id)).find((s) => s.nodeId === 'W')!;
    expect(span).toMatchObject({ status: 'ok', attempt: 1 });

    // Without a payload the output is null.
    const bare = await h.engine.enqueueWorkflow('approval');
    await until(async () => (await nodeStatus(h, bare, 'W')) === 'delayed', 5_000, 'W delayed');
    await h.engine.signal(bare, 'approval');
    const bareState = await h.engine.waitForExecution(bare, { timeoutMs: 5_000 });
    expect(bareState.nodeResults.W?.data).toBeNull();
    expect(inputs.get(bare)).toBeNull();
  });

  it('keeps a signal that arrives before the node waits, and consumes it when it starts', async ({
    harness,
  }) => {
    const h = await harness();
    const inputs = registerSteps(h);
    const release = deferred();
    h.registry.register(
      'slow',
      exec(async () => {
        await release.promise;
        return { success: true, data: 'slow' };
      }),
    );
    await h.engine.registerWorkflow(
      wf('early', [
        { id: 'S', type: 'slow' },
        { id: 'W', type: 'wait-for-signal', inputs: ['S'], config: { name: 'go' } },
        { id: 'B', type: 'sink', inputs: ['W'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('early');
    await until(async () => (await nodeStatus(h, id, 'S')) === 'running', 5_000, 'S running');
    await h.engine.signal(id, 'go', 'kept');
    expect(await nodeStatus(h, id, 'W')).toBe('pending');
    // The second signal of the name is refused even before the node waits.
    expect(await rejection(h.engine.signal(id, 'go', 'late'))).toBe('already-received');
    release.resolve();
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.W?.data).toBe('kept');
    expect(inputs.get(id)).toBe('kept');
  });

  it('is completed exactly once when signals race: the first wins, the others get 409 reasons', async ({
    harness,
  }) => {
    const h = await harness();
    registerSteps(h);
    const hold = deferred();
    h.registry.register(
      'hold',
      exec(async (ctx) => {
        await hold.promise;
        return { success: true, data: ctx.inputData };
      }),
    );
    await h.engine.registerWorkflow(waiting('race', { name: 'go' }, 'hold'));
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('race');
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');

    const payloads = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
    const outcomes = await Promise.all(
      payloads.map((p) => rejection(h.engine.signal(id, 'go', p))),
    );
    const winners = payloads.filter((_, i) => outcomes[i] === 'accepted');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'accepted')).toEqual(
      Array(payloads.length - 1).fill('already-received'),
    );
    await until(async () => (await nodeStatus(h, id, 'B')) === 'running', 5_000, 'B running');
    const during = await h.engine.getExecution(id);
    expect(during?.nodeResults.W).toMatchObject({ status: 'completed', data: winners[0] });
    // The node finished by a signal: a later one is refused as already received.
    expect(await rejection(h.engine.signal(id, 'go', 'late'))).toBe('already-received');

    hold.resolve();
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.nodeResults.B?.data).toBe(winners[0]);
    expect(await rejection(h.engine.signal(id, 'go', 'later'))).toBe('execution-finished');
  });

  it('refuses unknown names, unknown or foreign executions and payloads it cannot keep', async ({
    harness,
  }) => {
    const h = await harness({ limits: { maxPayloadBytes: 1_000 } });
    registerSteps(h);
    await h.engine.registerWorkflow(waiting('tenanted', { name: 'go' }), { tenantId: 'acme' });
    await h.engine.startWorkers(2);
    const acme = { tenantId: 'acme' };
    const id = await h.engine.enqueueWorkflow('tenanted', {}, acme);
    await until(
      async () => (await h.engine.getExecution(id, acme))?.nodeResults.W?.status === 'delayed',
      5_000,
      'W delayed',
    );

    const unknown = await h.engine.signal(id, 'nope', 1, acme).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownSignalError);
    expect(unknown).toMatchObject({ code: 'UNKNOWN_SIGNAL', signalName: 'nope' });
    await expect(h.engine.signal('no-such-execution', 'go', 1, acme)).rejects.toBeInstanceOf(
      ExecutionNotFoundError,
    );
    // Another tenant's execution is a missing one (the default tenant's too).
    await expect(h.engine.signal(id, 'go', 1, { tenantId: 'other' })).rejects.toBeInstanceOf(
      ExecutionNotFoundError,
    );
    await expect(h.engine.signal(id, 'go', 1)).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await expect(h.engine.signal(id, 'go', 'x'.repeat(2_000), acme)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    await expect(h.engine.signal(id, 'go', { n: 10n }, acme)).rejects.toBeInstanceOf(
      PayloadNotStorableError,
    );
    // None of those was kept: the right signal still completes the node.
    expect(await h.store.getSignal(id, 'go')).toBeNull();
    expect(await h.store.getSignal(id, 'nope')).toBeNull();
    await h.engine.signal(id, 'go', { ok: 1 }, acme);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 }, acme);
    expect(state.nodeResults.W?.data).toEqual({ ok: 1 });
  });

  it('refuses duplicate signal names and invalid configs at registration', async ({ harness }) => {
    const h = await harness();
    const error = await h.engine
      .registerWorkflow(
        wf('dup', [
          { id: 'A', type: 'wait-for-signal', config: { name: 'go' } },
          { id: 'B', type: 'wait-for-signal', config: { name: 'other' } },
          { id: 'C', type: 'wait-for-signal', config: { name: 'go', timeoutMs: 5 } },
        ]),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).code).toBe('VALIDATION_FAILED');
    expect((error as WorkflowValidationError).issues).toEqual([
      {
        path: '/nodes/2/config/name',
        code: 'DUPLICATE_SIGNAL_NAME',
        message: "signal name 'go' is already the name of wait-for-signal node 'A'",
        severity: 'error',
      },
    ]);
    const invalid = await h.engine
      .registerWorkflow(
        wf('invalid', [
          { id: 'A', type: 'wait-for-signal', config: {} },
          { id: 'B', type: 'wait-for-signal', config: { name: 'a b' } },
          { id: 'C', type: 'wait-for-signal', config: { name: 'c', onTimeout: 'retry' } },
          { id: 'D', type: 'wait-for-signal', config: { name: 'd', timeoutMs: 0 } },
        ]),
      )
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(WorkflowValidationError);
    expect((invalid as WorkflowValidationError).issues.map((i) => i.path)).toEqual([
      '/nodes/0/config',
      '/nodes/1/config/name',
      '/nodes/2/config/onTimeout',
      '/nodes/3/config/timeoutMs',
    ]);
    expect(h.engine.listNodeTypes().find((t) => t.type === 'wait-for-signal')).toMatchObject({
      builtIn: true,
    });
  });

  it('ends when the execution is cancelled, leaving no job; a later signal is refused', async ({
    harness,
  }) => {
    const h = await harness();
    registerSteps(h);
    await h.engine.registerWorkflow(waiting('cancel', { name: 'go', timeoutMs: 60_000 }));
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('cancel');
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    await h.engine.cancelWorkflow(id);
    const state = await h.engine.getExecution(id);
    expect(state?.status).toBe('cancelled');
    expect(state?.nodeResults.W?.status).toBe('cancelled');
    expect(await keysOf(h.redis, h.prefix, id)).toEqual([]);
    expect(await rejection(h.engine.signal(id, 'go', 1))).toBe('execution-finished');
    expect(await h.store.getSignal(id, 'go')).toBeNull();
  });

  it('keeps a signal sent while the execution is paused and completes the node after the resume', async ({
    harness,
  }) => {
    const h = await harness();
    const inputs = registerSteps(h);
    await h.engine.registerWorkflow(waiting('paused', { name: 'go' }));
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('paused');
    await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    await h.engine.pauseWorkflow(id);
    await h.engine.signal(id, 'go', 'while paused');
    // The woken job finds its execution paused and parks.
    await until(
      async () => (await h.redis.sismember(`${h.prefix}:parked:${id}`, nodeJobId(id, 'W'))) === 1,
      5_000,
      'W parked',
    );
    const during = await h.engine.getExecution(id);
    expect(during?.status).toBe('paused');
    expect(during?.nodeResults.W?.status).not.toBe('completed');
    await h.engine.resumeWorkflow(id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
    expect(state.status).toBe('completed');
    expect(state.nodeResults.W).toMatchObject({ data: 'while paused', attempts: 1 });
    expect(inputs.get(id)).toBe('while paused');
  });

  it('survives an engine restart: a new engine on the same prefix and store completes the wait', async ({
    harness,
  }) => {
    const h = await harness();
    const inputs = registerSteps(h);
    await h.engine.registerWorkflow(waiting('restart', { name: 'go' }));
    await h.engine.registerWorkflow(
      waiting('restart-timeout', { name: 'go', timeoutMs: 1_500, onTimeout: 'continue' }),
    );
    const started = record(h.engine, 'node:started');
    await h.engine.startWorkers(2);
    const signalled = await h.engine.enqueueWorkflow('restart');
    const timed = await h.engine.enqueueWorkflow('restart-timeout');
    for (const id of [signalled, timed]) {
      await until(async () => (await nodeStatus(h, id, 'W')) === 'delayed', 5_000, 'W delayed');
    }
    await until(
      () => started.some((e) => e.executionId === timed && e.nodeId === 'W'),
      5_000,
      'W started',
    );
    const waitStart = Date.parse(
      started.find((e) => e.executionId === timed && e.nodeId === 'W')!.timestamp,
    );
    await h.engine.close();

    const peer = h.peer();
    await peer.startWorkers(2);
    await peer.signal(signalled, 'go', 'after restart');
    const state = await peer.waitForExecution(signalled, { timeoutMs: 5_000 });
    expect(state.nodeResults.W).toMatchObject({ data: 'after restart', attempts: 1 });
    expect(inputs.get(signalled)).toBe('after restart');
    // The timeout set before the restart still holds, at its time.
    const timedState = await peer.waitForExecution(timed, { timeoutMs: 5_000 });
    expect(timedState.nodeResults.W).toMatchObject({ data: { timedOut: true }, attempts: 1 });
    const woke = timedState.nodeResults.B?.data as number;
    expect(woke - waitStart).toBeGreaterThanOrEqual(1_500);
    expect(woke - waitStart).toBeLessThan(3_000);
  });
});

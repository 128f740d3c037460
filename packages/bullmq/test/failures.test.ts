import {
  DLQItemNotFoundError,
  type ExecutionResult,
  NodeTimeoutError,
  NonRetryableError,
  PayloadTooLargeError,
} from '@spane/core';
import { describe, expect } from 'vitest';
import { WorkflowEngine } from '../src/index.js';
import {
  deferred,
  exec,
  type Harness,
  keysOf,
  record,
  silentLogger,
  TEST_TIMINGS,
  until,
  wf,
} from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { createRedisProxy } from './support/redis-proxy.js';
import { noop } from './support/stock-executors.js';

const RETRY3 = { attempts: 3, backoff: { type: 'fixed' as const, delayMs: 10 } };
const RETRY2 = { attempts: 2, backoff: { type: 'fixed' as const, delayMs: 10 } };

describe('retries', () => {
  it('retries thrown errors and { success: false }, and stops at once on non-retryable ones', async ({
    harness,
  }) => {
    const h = await harness();
    const attempts = new Map<string, number[]>();
    const seen = (executionId: string, attempt: number) => {
      const list = attempts.get(executionId) ?? [];
      list.push(attempt);
      attempts.set(executionId, list);
    };
    h.registry.register(
      'throws-twice',
      exec(async (ctx) => {
        seen(ctx.executionId, ctx.attempt);
        if (ctx.attempt < 3) throw new Error(`flaky ${ctx.attempt}`);
        return { success: true, data: 'ok' };
      }),
    );
    h.registry.register(
      'false-twice',
      exec(async (ctx) => {
        seen(ctx.executionId, ctx.attempt);
        if (ctx.attempt < 3) return { success: false, error: `no ${ctx.attempt}` };
        return { success: true, data: 'ok' };
      }),
    );
    h.registry.register(
      'non-retryable-throw',
      exec(async (ctx) => {
        seen(ctx.executionId, ctx.attempt);
        throw new NonRetryableError('fatal throw');
      }),
    );
    h.registry.register(
      'non-retryable-result',
      exec(async (ctx): Promise<ExecutionResult> => {
        seen(ctx.executionId, ctx.attempt);
        return { success: false, retryable: false, error: 'fatal result' };
      }),
    );
    for (const type of [
      'throws-twice',
      'false-twice',
      'non-retryable-throw',
      'non-retryable-result',
    ]) {
      await h.engine.registerWorkflow(wf(type, [{ id: 'N', type, retry: RETRY3 }]));
    }
    const retrying = record(h.engine, 'node:retrying');
    await h.engine.startWorkers(4);
    const [throws, falses, fatalThrow, fatalResult] = await Promise.all(
      ['throws-twice', 'false-twice', 'non-retryable-throw', 'non-retryable-result'].map((w) =>
        h.engine.enqueueWorkflow(w),
      ),
    );
    const wait = (id: string) => h.engine.waitForExecution(id!, { timeoutMs: 10_000 });

    for (const id of [throws!, falses!]) {
      const state = await wait(id);
      expect(state.status).toBe('completed');
      expect(state.nodeResults.N).toMatchObject({ status: 'completed', attempts: 3, data: 'ok' });
      expect(attempts.get(id)).toEqual([1, 2, 3]);
    }
    await until(() => retrying.length >= 4, 5_000, 'node:retrying events');
    expect(
      retrying.filter((e) => e.executionId === throws).map((e) => [e.attempt, e.error, e.delayMs]),
    ).toEqual([
      [1, 'flaky 1', 10],
      [2, 'flaky 2', 10],
    ]);
    expect(retrying.filter((e) => e.executionId === falses).map((e) => e.error)).toEqual([
      'no 1',
      'no 2',
    ]);

    for (const [id, error] of [
      [fatalThrow!, 'fatal throw'],
      [fatalResult!, 'fatal result'],
    ] as const) {
      const state = await wait(id);
      expect(state.status).toBe('failed');
      expect(state.nodeResults.N).toMatchObject({ status: 'failed', attempts: 1, error });
      expect(attempts.get(id)).toEqual([1]);
    }
    const dlq = await h.engine.getDLQItems();
    expect(dlq.map((d) => [d.executionId, d.attempts]).sort()).toEqual(
      [
        [fatalThrow, 1],
        [fatalResult, 1],
      ].sort(),
    );
    expect(
      retrying.some((e) => e.executionId === fatalThrow || e.executionId === fatalResult),
    ).toBe(false);
  });
});

/**
 * A ─┬─ F ─ G      F fails every attempt while its sibling S is still running.
 *    └─ S
 */
function failingWorkflow(h: Harness, opts: { failF: () => boolean }) {
  const sStarted = deferred();
  const calls = { F: [] as number[], S: 0, G: 0, sSawAbort: false, gInput: undefined as unknown };
  let holdS = true;
  h.registry.register(
    'src',
    exec(async () => ({ success: true, data: { from: 'A' } })),
  );
  h.registry.register(
    'fail',
    exec(async (ctx) => {
      calls.F.push(ctx.attempt);
      if (!opts.failF()) return { success: true, data: 'F-ok' };
      await sStarted.promise;
      throw new Error(`boom ${ctx.attempt}`);
    }),
  );
  h.registry.register(
    'slow',
    exec(async (ctx) => {
      calls.S += 1;
      if (!holdS) return { success: true, data: 'S-ok' };
      holdS = false;
      sStarted.resolve();
      // Blocks until the engine aborts it.
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      calls.sSawAbort = true;
      return { success: true, data: 'too late' };
    }),
  );
  h.registry.register(
    'after',
    exec(async (ctx) => {
      calls.G += 1;
      calls.gInput = ctx.inputData;
      return { success: true, data: 'G-ok' };
    }),
  );
  const definition = wf('failing', [
    { id: 'A', type: 'src' },
    { id: 'F', type: 'fail', inputs: ['A'], retry: RETRY2 },
    { id: 'S', type: 'slow', inputs: ['A'] },
    { id: 'G', type: 'after', inputs: ['F'] },
  ]);
  return { calls, definition };
}

describe('permanent failure and the dead letter queue', () => {
  it('fails the execution, aborts running siblings and dead-letters the node', async ({
    harness,
  }) => {
    const h = await harness();
    const { calls, definition } = failingWorkflow(h, { failF: () => true });
    await h.engine.registerWorkflow(definition);
    const failed = record(h.engine, 'workflow:failed');
    const finalFailures = record(h.engine, 'node:failed');
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('failing', { start: true });
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('failed');
    expect(state.error).toContain('boom 2');
    expect(state.nodeResults.F).toMatchObject({ status: 'failed', attempts: 2, error: 'boom 2' });
    expect(state.nodeResults.S?.status).toBe('cancelled');
    expect(state.nodeResults.G?.status).toBe('pending');
    expect(calls.F).toEqual([1, 2]);
    expect(calls.G).toBe(0);
    await until(() => calls.sSawAbort, 5_000, 'S to see its signal aborted');

    const dlq = await h.engine.getDLQItems();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({
      workflowId: 'failing',
      executionId: id,
      nodeId: 'F',
      inputData: { from: 'A' },
      error: 'boom 2',
      attempts: 2,
    });
    await until(() => failed.length >= 1, 5_000, 'workflow:failed');
    expect(failed[0]).toMatchObject({ executionId: id, workflowId: 'failing', nodeId: 'F' });
    expect(failed[0]!.error).toContain('boom 2');
    await until(() => finalFailures.some((e) => e.final), 5_000, 'final node:failed');
    expect(finalFailures.map((e) => [e.nodeId, e.attempt, e.final])).toEqual([
      ['F', 1, false],
      ['F', 2, true],
    ]);
    // The aborted sibling's job leaves Redis too.
    await until(async () => (await keysOf(h.redis, h.prefix, id)).length === 0, 5_000, 'no jobs');
  });

  it('retries a dead-lettered node and completes the execution downstream', async ({ harness }) => {
    const h = await harness();
    let failF = true;
    const { calls, definition } = failingWorkflow(h, { failF: () => failF });
    await h.engine.registerWorkflow(definition);
    await h.engine.startWorkers(4);
    const id = await h.engine.enqueueWorkflow('failing');
    expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('failed');
    const [item] = await h.engine.getDLQItems();
    expect(item?.executionId).toBe(id);

    failF = false;
    await h.engine.retryDLQItem(item!.id);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('completed');
    expect(state.error).toBeUndefined();
    // A fresh set of attempts, numbered after the ones already made.
    expect(calls.F).toEqual([1, 2, 3]);
    expect(state.nodeResults.F).toMatchObject({ status: 'completed', data: 'F-ok' });
    // S was cancelled by the failure and runs again with the retry.
    expect(state.nodeResults.S).toMatchObject({ status: 'completed', data: 'S-ok' });
    expect(calls.S).toBe(2);
    expect(calls.G).toBe(1);
    expect(calls.gInput).toBe('F-ok');
    expect(await h.engine.getDLQItems()).toEqual([]);
    await expect(h.engine.retryDLQItem(item!.id)).rejects.toBeInstanceOf(DLQItemNotFoundError);
  });

  it('retries a dead-lettered node whose failed job has not left Redis yet', async ({
    harness,
  }) => {
    const h = await harness();
    // The worker engine talks to Redis through a proxy that the failing executor stalls:
    // the failure is in the store (and the DLQ) while the job that ran it is still active.
    const proxy = await createRedisProxy();
    const worker = new WorkflowEngine(h.registry, h.store, proxy.url, {
      ...TEST_TIMINGS,
      prefix: h.prefix,
      logger: silentLogger,
    });
    try {
      let fail = true;
      const calls: string[] = [];
      h.registry.register(
        'flaky',
        exec(async (ctx) => {
          calls.push(`${ctx.nodeId}${ctx.attempt}`);
          if (fail) {
            proxy.hold();
            throw new NonRetryableError('down');
          }
          return { success: true, data: 'up' };
        }),
      );
      await h.engine.registerWorkflow(
        wf('stalled-failure', [
          { id: 'F', type: 'flaky' },
          { id: 'G', type: 'flaky', inputs: ['F'] },
        ]),
      );
      await worker.startWorkers(2);
      const id = await h.engine.enqueueWorkflow('stalled-failure');
      await until(async () => (await h.store.getExecution(id))?.status === 'failed', 5_000);
      const [item] = await h.engine.getDLQItems();
      fail = false;
      const retry = h.engine.retryDLQItem(item!.id);
      // Let the retry meet the still-active job; then let the job finish. 300 ms is a
      // bound, well inside the job's 1 s lock (a retry that did not wait resolves sooner).
      await Promise.race([retry, new Promise((r) => setTimeout(r, 300))]);
      proxy.release();
      await retry;
      const state = await h.engine.waitForExecution(id, { timeoutMs: 5_000 });
      expect(state.status).toBe('completed');
      expect(calls).toEqual(['F1', 'F2', 'G1']);
    } finally {
      proxy.release();
      await worker.close();
      await proxy.close();
    }
  });

  it('continues past a node with continueOnFail, passing its error downstream', async ({
    harness,
  }) => {
    const h = await harness();
    let childSeen: { inputData: unknown; previousResults: unknown } | undefined;
    let failCalls = 0;
    h.registry.register(
      'fail',
      exec(async () => {
        failCalls += 1;
        throw new Error('soft failure');
      }),
    );
    h.registry.register(
      'child',
      exec(async (ctx) => {
        childSeen = { inputData: ctx.inputData, previousResults: ctx.previousResults };
        return { success: true, data: 'handled' };
      }),
    );
    await h.engine.registerWorkflow(
      wf('lenient', [
        { id: 'F', type: 'fail', continueOnFail: true, retry: RETRY2 },
        { id: 'C', type: 'child', inputs: ['F'] },
      ]),
    );
    await h.engine.startWorkers(2);
    const id = await h.engine.enqueueWorkflow('lenient');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('completed');
    expect(failCalls).toBe(2);
    expect(state.nodeResults.F).toMatchObject({
      status: 'failed',
      continuedOnFail: true,
      error: 'soft failure',
    });
    expect(childSeen).toEqual({
      inputData: { error: 'soft failure' },
      previousResults: { F: { success: false, error: 'soft failure' } },
    });
    expect(state.nodeResults.C).toMatchObject({ status: 'completed', data: 'handled' });
    expect(await h.engine.getDLQItems()).toEqual([]);
  });

  it('times out a node attempt, aborting its signal, and retries it per its policy', async ({
    harness,
  }) => {
    const h = await harness();
    const reasons: unknown[] = [];
    h.registry.register(
      'hang',
      exec(async (ctx) => {
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        reasons.push(ctx.signal.reason);
        return { success: true, data: 'after abort' };
      }),
    );
    await h.engine.registerWorkflow(
      wf('slow', [{ id: 'T', type: 'hang', timeoutMs: 100, retry: RETRY2 }]),
    );
    await h.engine.startWorkers(2);
    const started = Date.now();
    const id = await h.engine.enqueueWorkflow('slow');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });

    expect(state.status).toBe('failed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(state.nodeResults.T).toMatchObject({ status: 'failed', attempts: 2 });
    await until(() => reasons.length === 2, 5_000, 'both attempts to see the abort');
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(NodeTimeoutError);
      expect((reason as NodeTimeoutError).timeoutMs).toBe(100);
    }
    const [item] = await h.engine.getDLQItems();
    expect(item).toMatchObject({ executionId: id, nodeId: 'T', attempts: 2 });
    expect(item!.error).toMatch(/timed out after 100 ms/);
  });
});

describe('payload limits', () => {
  it('refuses initial data over 1 MiB and fails a node whose output is over 1 MiB at once', async ({
    harness,
  }) => {
    const h = await harness();
    const big = 'x'.repeat(1024 * 1024 + 1);
    let calls = 0;
    h.registry.register('noop', noop);
    h.registry.register(
      'big',
      exec(async () => {
        calls += 1;
        return { success: true, data: big };
      }),
    );
    await h.engine.registerWorkflow(wf('small', [{ id: 'N', type: 'noop' }]));
    await h.engine.registerWorkflow(wf('huge-output', [{ id: 'N', type: 'big', retry: RETRY3 }]));
    await h.engine.startWorkers(2);

    await expect(h.engine.enqueueWorkflow('small', { big })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    expect((await h.engine.listExecutions()).items).toEqual([]);

    const id = await h.engine.enqueueWorkflow('huge-output');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('failed');
    expect(calls).toBe(1);
    expect(state.nodeResults.N).toMatchObject({ status: 'failed', attempts: 1 });
    expect(state.nodeResults.N?.data).toBeUndefined();
    const [item] = await h.engine.getDLQItems();
    expect(item).toMatchObject({ executionId: id, nodeId: 'N', attempts: 1 });
    expect(item!.error).toMatch(/limit is 1048576/);
  });

  it('fails a node whose output is a sparse array of 100 million slots at once, without writing it', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'sparse',
      exec(async () => {
        const arr: unknown[] = [];
        arr[99_999_999] = 1; // 500 MB as JSON text: the check must stop at the limit
        return { success: true, data: { arr } };
      }),
    );
    await h.engine.registerWorkflow(wf('sparse-output', [{ id: 'S', type: 'sparse' }]));
    await h.engine.startWorkers(1);
    const started = Date.now();
    const id = await h.engine.enqueueWorkflow('sparse-output');
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(state.status).toBe('failed');
    expect(state.nodeResults.S).toMatchObject({ status: 'failed', attempts: 1 });
    expect(state.nodeResults.S?.error).toBe(
      "output of node 'S' is at least 200000009 bytes; the limit is 1048576",
    );
  });
});

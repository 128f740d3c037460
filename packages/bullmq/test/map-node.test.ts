import { NonRetryableError, WorkflowValidationError } from '@spane/core';
import { describe, expect } from 'vitest';
import type { WorkflowEngine } from '../src/index.js';
import { MapState } from '../src/map-state.js';
import { RedisKeys } from '../src/redis-keys.js';
import { deferred, exec, type Harness, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

async function childrenOf(engine: WorkflowEngine, parentExecutionId: string) {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await engine.listExecutions({
      parentExecutionId,
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

/** Keys of map state left under the harness's prefix. */
async function mapKeys(h: Harness): Promise<string[]> {
  return h.redis.keys(`${h.prefix}:map*`);
}

/** Registers `source` (emits `{ list }`) and a parent workflow with a map node `M` then `after`. */
async function mapWorkflow(h: Harness, list: unknown[], config: Record<string, unknown>) {
  h.registry.register(
    'source',
    exec(async () => ({ success: true, data: { list } })),
  );
  h.registry.register(
    'after',
    exec(async (ctx) => ({ success: true, data: { seen: ctx.inputData } })),
  );
  await h.engine.registerWorkflow(
    wf('parent', [
      { id: 'A', type: 'source' },
      { id: 'M', type: 'map', inputs: ['A'], config: { items: 'input.list', ...config } },
      { id: 'Z', type: 'after', inputs: ['M'] },
    ]),
  );
}

describe('map nodes', () => {
  it('runs a workflow per item, at most `concurrency` at once, and returns the results in item order', async ({
    harness,
  }) => {
    const h = await harness();
    let running = 0;
    let most = 0;
    h.registry.register(
      'double',
      exec(async (ctx) => {
        running += 1;
        most = Math.max(most, running);
        // Later items finish first: the output must still be in item order.
        await new Promise((r) => setTimeout(r, 30 - (ctx.inputData as number)));
        running -= 1;
        return { success: true, data: (ctx.inputData as number) * 2 };
      }),
    );
    await h.engine.registerWorkflow(wf('double-it', [{ id: 'D', type: 'double' }]));
    const list = Array.from({ length: 25 }, (_, i) => i);
    await mapWorkflow(h, list, { workflowId: 'double-it', concurrency: 3 });
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    const done = await h.engine.waitForExecution(id, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.nodeResults.M?.data).toEqual(list.map((n) => n * 2));
    expect(done.nodeResults.Z?.data).toEqual({ seen: list.map((n) => n * 2) });
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
    const children = await childrenOf(h.engine, id);
    expect(children).toHaveLength(25);
    expect(children.every((c) => c.status === 'completed' && c.parentNodeId === 'M')).toBe(true);
    // The map's state goes right after its node is recorded: the execution (Z) may end first.
    await until(async () => (await mapKeys(h)).length === 0, 10_000, 'map keys removed');
  });

  it('runs one node of a type per item with its config and retry policy (per-item retries)', async ({
    harness,
  }) => {
    const h = await harness();
    const tries = new Map<number, number>();
    h.registry.register(
      'flaky',
      exec(async (ctx) => {
        const n = ctx.inputData as number;
        tries.set(n, (tries.get(n) ?? 0) + 1);
        if (n % 2 === 1 && tries.get(n) === 1) throw new Error(`first try of ${n} fails`);
        return { success: true, data: `${(ctx.nodeConfig as { tag: string }).tag}-${n}` };
      }),
    );
    await mapWorkflow(h, [0, 1, 2, 3, 4], {
      nodeType: 'flaky',
      nodeConfig: { tag: 'x' },
      retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
      concurrency: 2,
    });
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    const done = await h.engine.waitForExecution(id, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.nodeResults.M?.data).toEqual(['x-0', 'x-1', 'x-2', 'x-3', 'x-4']);
    expect([...tries.entries()].sort(([a], [b]) => a - b)).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
      [3, 2],
      [4, 1],
    ]);
  });

  it("fails the node on an item's failure (onItemError 'fail') and cancels the items still running", async ({
    harness,
  }) => {
    const h = await harness();
    const hold = deferred();
    h.registry.register(
      'item',
      exec(async (ctx) => {
        const n = ctx.inputData as number;
        if (n === 2) throw new NonRetryableError('item two is bad');
        if (n !== 2)
          await Promise.race([
            hold.promise,
            new Promise((r) => ctx.signal.addEventListener('abort', r)),
          ]);
        return { success: true, data: n };
      }),
    );
    await mapWorkflow(
      h,
      Array.from({ length: 20 }, (_, i) => i),
      {
        nodeType: 'item',
        concurrency: 4,
      },
    );
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    const done = await h.engine.waitForExecution(id, { timeoutMs: 30_000 });
    hold.resolve();
    expect(done.status).toBe('failed');
    expect(done.nodeResults.M?.status).toBe('failed');
    expect(done.nodeResults.M?.error).toMatch(/item 2 failed: .*item two is bad/);
    expect(done.nodeResults.Z?.status).toBe('pending');
    const children = await until(async () => {
      const all = await childrenOf(h.engine, id);
      return all.every((c) => ['completed', 'failed', 'cancelled'].includes(c.status))
        ? all
        : undefined;
    });
    // Only the first window of items ever started; those still running were cancelled.
    expect(children.length).toBeLessThanOrEqual(4);
    expect(children.filter((c) => c.status === 'cancelled').length).toBe(children.length - 1);
    await until(async () => (await mapKeys(h)).length === 0, 10_000, 'map keys removed');
  });

  it("collects failed items (onItemError 'collect') as { results, errors } with their indexes", async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'item',
      exec(async (ctx) => {
        const n = ctx.inputData as number;
        if (n % 3 === 0) throw new NonRetryableError(`no ${n}`);
        return { success: true, data: n * 10 };
      }),
    );
    await mapWorkflow(h, [0, 1, 2, 3, 4], {
      nodeType: 'item',
      onItemError: 'collect',
    });
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    const done = await h.engine.waitForExecution(id, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.nodeResults.M?.data).toEqual({
      results: [null, 10, 20, null, 40],
      errors: [
        { index: 0, error: expect.stringContaining('no 0') },
        { index: 3, error: expect.stringContaining('no 3') },
      ],
    });
  });

  it('an empty list completes at once; a value that is not a list fails the node, not retried', async ({
    harness,
  }) => {
    const h = await harness();
    h.registry.register(
      'noop',
      exec(async (ctx) => ({ success: true, data: ctx.inputData })),
    );
    await mapWorkflow(h, [], { nodeType: 'noop' });
    await h.engine.registerWorkflow(
      wf('not-a-list', [
        { id: 'A', type: 'source' },
        { id: 'M', type: 'map', inputs: ['A'], config: { items: 'input', nodeType: 'noop' } },
      ]),
    );
    await h.engine.startWorkers();
    const empty = await h.engine.waitForExecution(await h.engine.enqueueWorkflow('parent'));
    expect(empty.status).toBe('completed');
    expect(empty.nodeResults.M?.data).toEqual([]);
    const bad = await h.engine.waitForExecution(await h.engine.enqueueWorkflow('not-a-list'));
    expect(bad.status).toBe('failed');
    expect(bad.nodeResults.M?.attempts).toBe(1);
    expect(bad.nodeResults.M?.error).toBe(
      "config.items 'input' is not a list in the node's input (found object)",
    );
  });

  it('cancel reaches every item: running items are cancelled and no new item starts', async ({
    harness,
  }) => {
    const h = await harness();
    const started: number[] = [];
    h.registry.register(
      'slow',
      exec(async (ctx) => {
        started.push(ctx.inputData as number);
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
        return { success: true, data: null };
      }),
    );
    await mapWorkflow(
      h,
      Array.from({ length: 50 }, (_, i) => i),
      {
        nodeType: 'slow',
        concurrency: 5,
      },
    );
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    await until(() => started.length === 5, 10_000, 'five items running');
    const during = await h.engine.getExecution(id);
    expect(during?.nodeResults.M?.items).toEqual({ total: 50, done: 0, failed: 0, running: 5 });
    await h.engine.cancelWorkflow(id);
    const children = await until(async () => {
      const all = await childrenOf(h.engine, id);
      return all.every((c) => c.status === 'cancelled') ? all : undefined;
    });
    expect(children).toHaveLength(5);
    await h.engine.reconcile();
    expect(await mapKeys(h)).toEqual([]);
    expect(started).toHaveLength(5);
  });

  it('pause reaches every item (they pause, none starts) and resume carries the map to its end', async ({
    harness,
  }) => {
    const h = await harness();
    const gates: (() => void)[] = [];
    h.registry.register(
      'gated',
      exec(async (ctx) => {
        await new Promise<void>((r) => gates.push(r));
        return { success: true, data: ctx.inputData };
      }),
    );
    h.registry.register(
      'then',
      exec(async (ctx) => ({ success: true, data: ctx.inputData })),
    );
    await h.engine.registerWorkflow(
      wf('two-step', [
        { id: 'G', type: 'gated' },
        { id: 'T', type: 'then', inputs: ['G'] },
      ]),
    );
    await mapWorkflow(h, [1, 2, 3, 4, 5, 6], { workflowId: 'two-step', concurrency: 2 });
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    await until(() => gates.length === 2, 10_000, 'two items running');
    await h.engine.pauseWorkflow(id);
    const paused = await until(async () => {
      const all = await childrenOf(h.engine, id);
      return all.length === 2 && all.every((c) => c.status === 'paused') ? all : undefined;
    });
    expect(paused).toHaveLength(2);
    // The running first nodes finish; their items stay paused before their second node,
    // so no item ends and none starts.
    for (const open of gates.splice(0)) open();
    await until(async () => {
      const states = await Promise.all(paused.map((c) => h.engine.getExecution(c.executionId)));
      return states.every((c) => c?.nodeResults.G?.status === 'completed');
    });
    expect(await childrenOf(h.engine, id)).toHaveLength(2);
    expect(gates).toHaveLength(0);
    await h.engine.resumeWorkflow(id);
    const opener = setInterval(() => {
      for (const open of gates.splice(0)) open();
    }, 5);
    try {
      const done = await h.engine.waitForExecution(id, { timeoutMs: 30_000 });
      expect(done.status).toBe('completed');
      expect(done.nodeResults.M?.data).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      clearInterval(opener);
    }
  });

  it('many items across two engines: each item runs once and the results are exact', async ({
    harness,
  }) => {
    const h = await harness();
    const runs = new Map<number, number>();
    h.registry.register(
      'square',
      exec(async (ctx) => {
        const n = ctx.inputData as number;
        runs.set(n, (runs.get(n) ?? 0) + 1);
        return { success: true, data: n * n };
      }),
    );
    const list = Array.from({ length: 200 }, (_, i) => i);
    await mapWorkflow(h, list, { nodeType: 'square', concurrency: 20 });
    const peer = h.peer();
    await Promise.all([h.engine.startWorkers(), peer.startWorkers()]);
    const id = await h.engine.enqueueWorkflow('parent');
    const done = await h.engine.waitForExecution(id, { timeoutMs: 60_000 });
    expect(done.status).toBe('completed');
    expect(done.nodeResults.M?.data).toEqual(list.map((n) => n * n));
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(runs.size).toBe(200);
    expect(await childrenOf(h.engine, id)).toHaveLength(200);
  });

  it('a re-run of the map node (same attempt) neither restarts nor duplicates its items', async ({
    harness,
  }) => {
    const h = await harness();
    const gates: (() => void)[] = [];
    const runs = new Map<string, number>();
    h.registry.register(
      'gated',
      exec(async (ctx) => {
        runs.set(String(ctx.inputData), (runs.get(String(ctx.inputData)) ?? 0) + 1);
        await new Promise<void>((r) => gates.push(r));
        return { success: true, data: ctx.inputData };
      }),
    );
    await mapWorkflow(h, ['a', 'b', 'c', 'd', 'e'], { nodeType: 'gated', concurrency: 2 });
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    await until(() => gates.length === 2, 10_000, 'two items running');
    // One item ends while the map node's job runs again (as after a crash of its worker),
    // once its first job has left Redis (else adding it again is a no-op).
    await until(async () => (await h.redis.keys(`${h.prefix}:*${id}.M*`)).length === 0);
    await h.engine.enqueueNode(id, 'parent', 'M');
    gates.shift()?.();
    await until(async () => (await h.engine.getExecution(id))?.nodeResults.M?.status === 'waiting');
    const opener = setInterval(() => {
      for (const open of gates.splice(0)) open();
    }, 5);
    try {
      // The ended item is heard by the sub-workflow sweep once the node waits again.
      const done = await until(async () => {
        await h.engine.reconcile();
        const state = await h.engine.getExecution(id);
        return state?.status === 'completed' ? state : undefined;
      }, 20_000);
      expect(done.nodeResults.M?.data).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(done.nodeResults.M?.attempts).toBe(1);
    } finally {
      clearInterval(opener);
    }
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(await childrenOf(h.engine, id)).toHaveLength(5);
  });

  it('an output past maxPayloadBytes fails the map node with the reason', async ({ harness }) => {
    const h = await harness({ limits: { maxPayloadBytes: 4_000 } });
    h.registry.register(
      'big',
      exec(async () => ({ success: true, data: 'x'.repeat(1_000) })),
    );
    await mapWorkflow(h, [1, 2, 3, 4, 5, 6], { nodeType: 'big' });
    await h.engine.startWorkers();
    const done = await h.engine.waitForExecution(await h.engine.enqueueWorkflow('parent'));
    expect(done.status).toBe('failed');
    expect(done.nodeResults.M?.error).toMatch(/output of map node 'M'.*4000/);
    await until(async () => (await mapKeys(h)).length === 0, 10_000, 'map keys removed');
  });

  it('the reconciler starts an item a crash left claimed but never started', async ({
    harness,
  }) => {
    const h = await harness();
    const gates: (() => void)[] = [];
    h.registry.register(
      'gated',
      exec(async (ctx) => {
        await new Promise<void>((r) => gates.push(r));
        return { success: true, data: ctx.inputData };
      }),
    );
    await mapWorkflow(h, ['a', 'b', 'c', 'd'], { nodeType: 'gated', concurrency: 2 });
    await h.engine.startWorkers();
    const id = await h.engine.enqueueWorkflow('parent');
    await until(() => gates.length === 2, 10_000, 'two items running');
    const exec1 = await h.engine.getExecution(id);
    const attempt = exec1?.nodeResults.M?.attempts ?? 0;
    // A process claims a third item, then dies before starting its child.
    const state = new MapState(h.redis, new RedisKeys(h.prefix));
    const ref = { executionId: id, nodeId: 'M', attempt };
    await h.redis.hset(new RedisKeys(h.prefix).map(id, 'M', attempt).state, 'concurrency', 3);
    expect(await state.claim(ref)).toEqual([2]);
    expect(await childrenOf(h.engine, id)).toHaveLength(2);
    const pass = await h.engine.reconcile();
    expect(pass.mapsChecked).toBe(1);
    await until(() => gates.length === 3, 10_000, 'the claimed item started');
    const opener = setInterval(() => {
      for (const open of gates.splice(0)) open();
    }, 5);
    try {
      const done = await h.engine.waitForExecution(id, { timeoutMs: 30_000 });
      expect(done.nodeResults.M?.data).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      clearInterval(opener);
    }
  });

  it('refuses a bad map config at registration with the problems named', async ({ harness }) => {
    const h = await harness();
    h.registry.register(
      'typed',
      exec(async () => ({ success: true, data: null })),
      {
        config: {
          type: 'object',
          properties: { n: { type: 'integer' } },
          additionalProperties: false,
        },
      },
    );
    const attempt = (config: Record<string, unknown>) =>
      h.engine.registerWorkflow(wf('bad', [{ id: 'M', type: 'map', config }])).then(
        () => [],
        (err: unknown) => {
          expect(err).toBeInstanceOf(WorkflowValidationError);
          return (err as WorkflowValidationError).issues.map((i) => `${i.path}: ${i.message}`);
        },
      );
    expect(await attempt({ items: 'input.list', nodeType: 'nope' })).toEqual([
      expect.stringMatching(/^\/nodes\/0\/config\/nodeType: .*'nope' is not registered/),
    ]);
    expect(
      await attempt({ items: 'input.list', nodeType: 'typed', nodeConfig: { n: 'x' } }),
    ).toEqual([expect.stringMatching(/^\/nodes\/0\/config\/nodeConfig\/n: /)]);
    expect((await attempt({ items: 'input.__proto__', nodeType: 'typed' }))[0]).toMatch(
      /^\/nodes\/0\/config\/items: /,
    );
    expect(await attempt({ items: 'list', workflowId: 'w' })).not.toEqual([]);
    expect(await attempt({ items: 'input.list', workflowId: 'w', nodeType: 'typed' })).not.toEqual(
      [],
    );
    expect(await attempt({ items: 'input.list', nodeType: 'typed', concurrency: 0 })).not.toEqual(
      [],
    );
    expect(await attempt({ items: 'input.list', nodeType: 'typed', nodeConfig: { n: 1 } })).toEqual(
      [],
    );
  });
});

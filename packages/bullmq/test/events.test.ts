import { ENGINE_EVENT_NAMES, type EngineEventName } from '@spane/core';
import { describe, expect } from 'vitest';
import { channelSubscribers, exec, record, until, wf } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';
import { echoNodeId } from './support/stock-executors.js';

describe('events', () => {
  it('delivers events of work done by one engine to another engine without workers', async ({
    harness,
  }) => {
    const h = await harness();
    let calls = 0;
    h.registry.register(
      'step',
      exec(async (ctx) => {
        calls += 1;
        return { success: true, data: ctx.nodeId };
      }),
    );
    await h.engine.registerWorkflow(
      wf('observed', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step', inputs: ['A'] },
      ]),
    );
    const observer = h.peer();
    const completed = record(observer, 'workflow:completed');
    const nodeCompleted = record(observer, 'node:completed');
    await h.engine.startWorkers(2);
    // Both engines subscribed: the worker engine (startWorkers) and the observer (`on`).
    await until(
      async () => (await channelSubscribers(h.redis, h.prefix)) === 2,
      5_000,
      'observer subscription',
    );
    // Node-level events have a channel of their own: only the observer (a node listener)
    // subscribed to it; the worker engine, without one, does not receive them.
    await until(
      async () => (await channelSubscribers(h.redis, h.prefix, 'node')) === 1,
      5_000,
      'observer subscription to node events',
    );

    const id = await h.engine.enqueueWorkflow('observed');
    await until(() => completed.length === 1, 5_000, 'workflow:completed at the observer');
    expect(completed[0]).toEqual({
      eventId: `workflow:completed:${id}`,
      executionId: id,
      workflowId: 'observed',
      tenantId: 'default',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(nodeCompleted.map((e) => [e.executionId, e.nodeId, e.nodeType, e.attempt])).toEqual([
      [id, 'A', 'step', 1],
      [id, 'B', 'step', 1],
    ]);
    for (const e of nodeCompleted) expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(nodeCompleted.map((e) => e.eventId)).toEqual([
      `node:completed:${id}:A:1`,
      `node:completed:${id}:B:1`,
    ]);
    expect(calls).toBe(2);
  });

  it('emits an execution’s events in lifecycle order', async ({ harness }) => {
    const h = await harness();
    h.registry.register('step', echoNodeId);
    await h.engine.registerWorkflow(
      wf(
        'ordered',
        [
          { id: 'A', type: 'step' },
          { id: 'B', type: 'step', inputs: ['A'] },
        ],
        { timeoutMs: 60_000 },
      ),
    );
    const log: { name: EngineEventName; executionId: string; nodeId?: string }[] = [];
    for (const name of ENGINE_EVENT_NAMES) {
      h.engine.on(name, (p) =>
        log.push({ name, executionId: p.executionId, nodeId: (p as { nodeId?: string }).nodeId }),
      );
    }
    await h.engine.startWorkers(8);
    const ids = await h.engine.enqueueWorkflows(
      Array.from({ length: 50 }, () => ({ workflowId: 'ordered' })),
    );
    await until(
      () => log.filter((e) => e.name === 'workflow:completed').length === ids.length,
      10_000,
      'every workflow:completed',
    );
    for (const id of ids) {
      const mine = log
        .filter((e) => e.executionId === id)
        .map((e) => `${e.name} ${e.nodeId ?? ''}`.trim());
      expect(mine[0], id).toBe('workflow:started');
      expect(mine[mine.length - 1], id).toBe('workflow:completed');
      expect(mine.indexOf('node:started A')).toBeLessThan(mine.indexOf('node:completed A'));
      expect(mine.indexOf('node:started B')).toBeLessThan(mine.indexOf('node:completed B'));
      expect(mine).toHaveLength(6);
    }
  });

  it("sends a node's events to other processes before the jobs of the nodes after it", async ({
    harness,
  }) => {
    // Node events wait a little for company (EngineChannel): the ones queued are sent
    // before a job is added, so no process can announce what follows a node before it.
    const h = await harness({ maxCarriedRuns: 0 });
    h.registry.register('step', echoNodeId);
    await h.engine.registerWorkflow(
      wf('handed', [
        { id: 'A', type: 'step' },
        { id: 'B', type: 'step', inputs: ['A'] },
      ]),
    );
    const monitor = await h.redis.monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));
    try {
      await h.engine.startWorkers(2);
      const id = await h.engine.enqueueWorkflow('handed');
      const completedA = `node:completed:${id}:A:1`;
      const published = (args: string[]) =>
        args[0]?.toLowerCase() === 'publish' && args.some((a) => a.includes(completedA));
      const namesB = (args: string[]) => args.some((a) => a.includes(`${id}.B`));
      // Both seen first: the publish can reach MONITOR before any command of B's job does
      // (that is the order asked for), so a check at the publish alone found no B yet.
      await until(
        () => commands.some(published) && commands.some(namesB),
        5_000,
        "A's node:completed published and a command naming B's job",
      );
      const publishA = commands.findIndex(published);
      const firstOfB = commands.findIndex(namesB);
      expect(firstOfB).toBeGreaterThan(publishA);
    } finally {
      monitor.disconnect();
    }
  });
});

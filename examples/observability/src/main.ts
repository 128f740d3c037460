/**
 * What an execution leaves behind and what you can watch while it runs: live engine events,
 * the execution's logs (engine lines and ctx.log lines), its trace (one span per node
 * attempt), and a replay from a node that reuses the results before it.
 */
import { WorkflowEngine } from '@spane/bullmq';
import {
  ENGINE_EVENT_NAMES,
  type EngineEventMap,
  type ExecutionEventName,
  NodeRegistry,
} from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runExample } from '@spane-examples/kit';

await runExample(
  'observability',
  async ({ prefix, redis, say, expectEqual, check, defer, until }) => {
    const calls: Record<string, number> = {};
    let transformFailsOnce = true;
    const registry = new NodeRegistry();
    registry.register('extract', {
      execute: async (ctx) => {
        calls.extract = (calls.extract ?? 0) + 1;
        ctx.log.info('read rows', { rows: 3 });
        return { success: true, data: { rows: [3, 1, 2] } };
      },
    });
    registry.register('transform', {
      execute: async (ctx) => {
        calls.transform = (calls.transform ?? 0) + 1;
        if (transformFailsOnce) {
          transformFailsOnce = false;
          ctx.log.warn('lookup table not warm yet', { attempt: ctx.attempt });
          throw new Error('lookup table cold');
        }
        ctx.log.info('sorted rows', { attempt: ctx.attempt });
        return { success: true, data: { rows: [...ctx.inputData.rows].sort() } };
      },
    });
    registry.register('load', {
      execute: async (ctx) => {
        calls.load = (calls.load ?? 0) + 1;
        return { success: true, data: { loaded: ctx.inputData.rows.length } };
      },
    });

    const engine = new WorkflowEngine(registry, new InMemoryExecutionStore(), redis, { prefix });
    defer(() => engine.close());
    await engine.registerWorkflow({
      id: 'etl',
      name: 'ETL',
      nodes: [
        { id: 'extract', type: 'extract' },
        {
          id: 'transform',
          type: 'transform',
          inputs: ['extract'],
          retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 50 } },
        },
        { id: 'load', type: 'load', inputs: ['transform'] },
      ],
    });
    await engine.startWorkers(2);

    // Live events, from every engine process on this prefix (Redis pub/sub).
    const events: { name: string; payload: EngineEventMap[ExecutionEventName] }[] = [];
    for (const name of ENGINE_EVENT_NAMES) {
      engine.on(name, (payload) => {
        events.push({ name, payload });
        const p = payload as Partial<EngineEventMap['node:failed']>;
        const node = p.nodeId ? ` ${p.nodeId}` : '';
        const attempt = p.attempt ? ` (attempt ${p.attempt})` : '';
        say(`  event ${name}${node}${attempt}${p.error ? `: ${p.error}` : ''}`);
      });
    }

    say('1. run the ETL workflow and watch its events');
    const id = await engine.enqueueWorkflow('etl');
    const state = await engine.waitForExecution(id, { timeoutMs: 10_000 });
    await until('the workflow:completed event', () =>
      events.some((e) => e.name === 'workflow:completed' && e.payload.executionId === id),
    );
    say(`  execution ${state.status}, load = ${JSON.stringify(state.nodeResults.load?.data)}`);
    expectEqual('status', state.status, 'completed');
    const seen = events
      .filter((e) => e.payload.executionId === id)
      .map((e) => {
        const p = e.payload as Partial<EngineEventMap['node:failed']>;
        return [e.name, p.nodeId, p.attempt].filter((x) => x !== undefined).join(' ');
      });
    expectEqual('events of the execution, in order', seen, [
      'workflow:started',
      'node:started extract 1',
      'node:completed extract 1',
      'node:started transform 1',
      'node:failed transform 1',
      'node:retrying transform 1',
      'node:started transform 2',
      'node:completed transform 2',
      'node:started load 1',
      'node:completed load 1',
      'workflow:completed',
    ]);

    say('2. the logs');
    // The closing line is written just after the workflow:completed event: wait for it.
    let logs = await engine.getLogs(id);
    await until('the closing log line', async () => {
      logs = await engine.getLogs(id);
      return logs.some((l) => l.message === 'execution completed');
    });
    for (const l of logs) {
      say(
        `  ${l.level.padEnd(5)} ${l.nodeId ?? '-'}: ${l.message}${l.meta ? ` ${JSON.stringify(l.meta)}` : ''}`,
      );
    }
    const mine = logs.filter((l) => l.meta !== undefined && l.nodeId !== undefined);
    expectEqual(
      'ctx.log lines',
      mine.map((l) => [l.level, l.nodeId, l.message, l.meta]),
      [
        ['info', 'extract', 'read rows', { rows: 3 }],
        ['warn', 'transform', 'lookup table not warm yet', { attempt: 1 }],
        ['info', 'transform', 'sorted rows', { attempt: 2 }],
      ],
    );
    check(
      logs.some((l) => l.message === "node 'transform' started (attempt 2)"),
      'the engine should log each node attempt it starts',
    );

    say('3. the trace: one span per node attempt');
    const spans = await engine.getTrace(id);
    for (const s of spans) {
      const ms = s.finishedAt ? Date.parse(s.finishedAt) - Date.parse(s.startedAt) : NaN;
      say(
        `  span ${s.nodeId} attempt ${s.attempt}: ${s.status} in ${ms} ms${s.error ? ` (${s.error})` : ''}`,
      );
    }
    expectEqual(
      'spans',
      spans.map((s) => [s.nodeId, s.attempt, s.status, s.error]),
      [
        ['extract', 1, 'ok', undefined],
        ['transform', 1, 'error', 'lookup table cold'],
        ['transform', 2, 'ok', undefined],
        ['load', 1, 'ok', undefined],
      ],
    );

    say('4. replay from transform: extract is reused, transform and load run again');
    const before = { ...calls };
    const replayId = await engine.replayWorkflow(id, { fromNodeId: 'transform' });
    const replay = await engine.waitForExecution(replayId, { timeoutMs: 10_000 });
    say(`  replay ${replay.status}, metadata ${JSON.stringify(replay.metadata)}`);
    say(
      `  executor calls during the replay: ${JSON.stringify(Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, v - (before[k] ?? 0)])))}`,
    );
    expectEqual('replay status', replay.status, 'completed');
    expectEqual('replay metadata', replay.metadata, {
      replayedFrom: id,
      replayedFromNode: 'transform',
      reusedNodes: ['extract'],
    });
    expectEqual(
      'calls during the replay',
      [
        calls.extract! - before.extract!,
        calls.transform! - before.transform!,
        calls.load! - before.load!,
      ],
      [0, 1, 1],
    );
    expectEqual('replayed load', replay.nodeResults.load?.data, state.nodeResults.load?.data);
    return 'the events, logs and spans told the story of the run, retry included, and the replay re-ran only transform and load';
  },
);

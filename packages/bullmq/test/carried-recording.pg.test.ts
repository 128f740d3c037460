import pg from 'pg';
import { expect } from 'vitest';
import { addedFor, fan, registerStep, warmUp } from './support/carried-shapes.js';
import { deferred, exec, record, until } from './support/engine-harness.js';
import { it } from './support/harness-fixture.js';

// A job that carries several runs executes the next while the previous one's completion
// is still being written: here a real row lock, taken by B1's executor in a transaction
// of the test's own, holds B1's completion in PostgreSQL until B2's executor lets it go.
// Were the runs one after another, B2 would wait for B1's completion and never run.

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

it('a carried run executes while the completion before it waits in the store; every node runs once', async ({
  harness,
}) => {
  const h = await harness();
  const runs = registerStep(h);
  await h.engine.startWorkers(1);
  await warmUp(h);
  const locker = new pg.Client({ connectionString: DATABASE_URL });
  await locker.connect();
  let locked = false;
  const b2Ran = deferred();
  const completedBeforeB2: string[] = [];
  const completed = record(h.engine, 'node:completed');
  try {
    h.registry.register(
      'hold',
      exec(async (ctx) => {
        const held = ctx.workflowId === 'held';
        if (held && ctx.nodeId === 'B1') {
          // Its completion will lock the execution's row: hold that row until B2 runs.
          await locker.query('BEGIN');
          await locker.query(
            `SELECT 1 FROM "${h.schema}".executions WHERE execution_id = $1 FOR UPDATE`,
            [ctx.executionId],
          );
          locked = true;
        }
        if (held && ctx.nodeId === 'B2') {
          completedBeforeB2.push(...completed.map((e) => e.nodeId));
          b2Ran.resolve();
          if (locked) await locker.query('COMMIT');
          locked = false;
        }
        return { success: true, data: { n: 1 } };
      }),
    );
    // Fast first, so the fan's children are carried by A's job (one worker slot).
    await h.engine.registerWorkflow(fan('warm-hold', 1, 'hold'));
    for (let i = 0; i < 4; i++) {
      const id = await h.engine.enqueueWorkflow('warm-hold', {});
      expect((await h.engine.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    }
    await h.engine.registerWorkflow(fan('held', 3, 'hold'));
    completed.length = 0;
    runs.length = 0;
    const id = await h.engine.enqueueWorkflow('held', {});
    let ran = false;
    void b2Ran.promise.then(() => {
      ran = true;
    });
    await until(() => ran, 10_000);
    // B1's completion was still held when B2 executed.
    expect(completedBeforeB2).toEqual(['A']);
    const state = await h.engine.waitForExecution(id, { timeoutMs: 10_000 });
    expect(state.status).toBe('completed');
    for (const n of Object.values(state.nodeResults)) {
      expect(n).toMatchObject({ status: 'completed', attempts: 1 });
    }
    expect(await addedFor(h, id)).toEqual(['A']);
  } finally {
    if (locked) await locker.query('ROLLBACK');
    await locker.end();
  }
});

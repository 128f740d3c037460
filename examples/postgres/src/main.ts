/**
 * An execution on the Postgres store survives the death of the engine process running it:
 * engine process 1 is killed with SIGKILL while the slow `render` node runs, engine
 * process 2 starts, picks the node up again and the execution completes. This process only
 * enqueues and watches (an engine without workers) and reads the store.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { REDIS_URL, runExample } from '@spane-examples/kit';
import pg from 'pg';
import { registerReportTypes } from './report-workflow.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const exampleDir = fileURLToPath(new URL('..', import.meta.url));

await runExample('postgres', async ({ prefix, redis, say, expectEqual, check, defer }) => {
  // A schema of this run's own, dropped at the end.
  const schema = `spane_example_${randomBytes(4).toString('hex')}`;
  defer(async () => {
    const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    say(`dropped schema ${schema}`);
  });
  const store = new PostgresExecutionStore({ connectionString: DATABASE_URL, schema });
  defer(() => store.close());
  await store.migrate();
  say(`migrated Postgres schema ${schema}`);

  /** Starts an engine process (src/engine-process.ts) and waits for its `ready` line. */
  const startEngine = async (n: number) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@spane/source', '--import', 'tsx', 'src/engine-process.ts'],
      {
        cwd: exampleDir,
        env: {
          ...process.env,
          REDIS_URL,
          DATABASE_URL,
          SPANE_PREFIX: prefix,
          SPANE_SCHEMA: schema,
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    defer(() => stopProcess(child, 'SIGKILL')); // in case the example fails half-way
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      say(`  [engine ${n}, pid ${child.pid}] ${line}`);
      lines.push(line);
      for (const w of waiters) w();
    });
    /** The first line starting with `start`; fails after `timeoutMs` or if the process exits. */
    const line = (start: string, timeoutMs = 20_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => l.startsWith(start));
          if (found) done(() => resolve(found));
        };
        const exited = () => done(() => reject(new Error(`engine ${n} exited before '${start}'`)));
        const timer = setTimeout(
          () => done(() => reject(new Error(`engine ${n}: no '${start}' line in ${timeoutMs} ms`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', exited);
          fn();
        };
        waiters.add(check);
        child.once('exit', exited);
        check();
      });
    await line('ready');
    return { child, pid: child.pid!, line };
  };

  // This process enqueues and watches: an engine without workers, same prefix and store.
  const registry = new NodeRegistry();
  registerReportTypes(registry, say);
  const api = new WorkflowEngine(registry, store, redis, { prefix });
  defer(() => api.close());

  say('1. engine process 1 starts and the report is enqueued');
  const first = await startEngine(1);
  const id = await api.enqueueWorkflow('nightly-report');
  await first.line('render started');

  say(`2. kill engine process 1 (pid ${first.pid}) with SIGKILL while render runs`);
  await stopProcess(first.child, 'SIGKILL');
  say(`  process ${first.pid} is gone (${first.child.signalCode})`);
  const mid = await store.getExecution(id);
  say(
    `  in Postgres: execution ${mid?.status}; collect ${mid?.nodeResults.collect?.status}, render ${mid?.nodeResults.render?.status}, publish ${mid?.nodeResults.publish?.status}`,
  );
  expectEqual('killed by', first.child.signalCode, 'SIGKILL');
  expectEqual(
    'state after the kill',
    [mid?.status, mid?.nodeResults.collect?.status, mid?.nodeResults.render?.status],
    ['running', 'completed', 'running'],
  );

  say('3. engine process 2 starts; the node whose worker died runs again');
  const second = await startEngine(2);
  const state = await api.waitForExecution(id, { timeoutMs: 20_000 });
  const { collect, render, publish } = state.nodeResults;
  say(`  execution ${state.status}: publish = ${JSON.stringify(publish?.data)}`);
  expectEqual('final status', state.status, 'completed');
  expectEqual('collect ran in process 1 only', (collect?.data as any)?.collectedBy, first.pid);
  expectEqual('render finished in process 2', (render?.data as any)?.renderedBy, second.pid);
  expectEqual('publish ran in process 2', (publish?.data as any)?.publishedBy, second.pid);
  // The re-run is the next attempt: the engine cannot tell a dead worker from a stalled
  // one, and two runs of a node never share an attempt number.
  expectEqual('render attempts (the re-run after the crash is attempt 2)', render?.attempts, 2);
  check(
    (await second.line('render started')) === `render started (attempt 2) in process ${second.pid}`,
    'process 2 should have re-run render as attempt 2',
  );

  say(`4. stop engine process 2 (pid ${second.pid}) with SIGTERM`);
  await stopProcess(second.child, 'SIGTERM');
  expectEqual('engine 2 exit code', second.child.exitCode, 0);
  return `the execution started in process ${first.pid}, survived its SIGKILL, and completed in process ${second.pid}`;
});

/** Sends `signal` to a child process we started (by its PID) and waits for it to exit. */
async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid!, signal);
  await exited;
}

/**
 * A second engine process for the multi-process tests: the same Redis prefix and Postgres
 * schema as the test, its own registry. Prints `ready` when its workers run, and
 * `running <executionId> <nodeId>` when a `hang` node starts (which then never returns), and
 * `crashing <executionId> <nodeId>` when a `crash` node starts (which then exits the process
 * with code 1, as a run that kills its worker does).
 * With SPANE_DIE_AFTER_COMMIT=<nodeId> it kills itself (SIGKILL) as soon as the store
 * has recorded that node's outcome: a crash between a commit and what follows it.
 */
import { NodeRegistry } from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { WorkflowEngine } from '../../src/index.js';

const env = process.env;
const store = new PostgresExecutionStore({
  connectionString: env.DATABASE_URL!,
  schema: env.SPANE_SCHEMA!,
});
const dieAfter = env.SPANE_DIE_AFTER_COMMIT;
if (dieAfter) {
  const complete = store.completeNode.bind(store);
  store.completeNode = async (...args) => {
    const r = await complete(...args);
    if (args[2] === dieAfter && r.recorded) process.kill(process.pid, 'SIGKILL');
    return r;
  };
}
const registry = new NodeRegistry();
registry.register('step', {
  execute: async (ctx) => {
    await new Promise((r) => setTimeout(r, Number(env.SPANE_STEP_MS ?? 0)));
    return { success: true, data: { pid: process.pid, node: ctx.nodeId } };
  },
});
registry.register('hang', {
  execute: async (ctx) => {
    if (env.SPANE_HANG === '1') {
      process.stdout.write(`running ${ctx.executionId} ${ctx.nodeId}\n`);
      await new Promise(() => {});
    }
    return { success: true, data: { pid: process.pid, node: ctx.nodeId } };
  },
});
registry.register('crash', {
  execute: async (ctx) => {
    process.stdout.write(`crashing ${ctx.executionId} ${ctx.nodeId}\n`);
    process.exit(1);
  },
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const engine = new WorkflowEngine(registry, store, env.REDIS_URL!, {
  prefix: env.SPANE_PREFIX!,
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
  logger: quiet,
});
await engine.startWorkers(Number(env.SPANE_CONCURRENCY ?? 4));
process.stdout.write('ready\n');
const stop = async () => {
  await engine.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

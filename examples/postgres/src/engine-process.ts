/**
 * One engine process of the postgres example: workers on the example's Redis prefix and
 * Postgres schema. Prints `ready <pid>` once its workers run; stops on SIGTERM, or when its
 * parent goes away (stdin closes).
 */
import { WorkflowEngine } from '@spane/bullmq';
import { NodeRegistry } from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { registerReportTypes, reportWorkflow } from './report-workflow.js';

setTimeout(() => process.exit(1), 90_000).unref(); // never outlive the example by much

const env = process.env;
const store = new PostgresExecutionStore({
  connectionString: env.DATABASE_URL!,
  schema: env.SPANE_SCHEMA!,
});
await store.migrate();
const registry = new NodeRegistry();
registerReportTypes(registry, (line) => process.stdout.write(`${line}\n`));
const engine = new WorkflowEngine(registry, store, env.REDIS_URL!, {
  prefix: env.SPANE_PREFIX!,
  // A node whose worker died runs again within about lockDurationMs + stalledIntervalMs.
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
});
await engine.registerWorkflow(reportWorkflow); // every process registers at start-up
await engine.startWorkers(2);
process.stdout.write(`ready ${process.pid}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await engine.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();

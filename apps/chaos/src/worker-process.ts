/**
 * One engine worker process of the suite: a WorkflowEngine with the Postgres store against
 * the suite's private Redis and PostgreSQL, the workload's node types, and a listener that
 * appends every workflow event and `node:completed` it hears to its JSONL file. Prints
 * `ready` once its workers run. SIGTERM closes the engine gracefully.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowEngine } from '@spane/bullmq';
import { type EngineEventName, NodeRegistry } from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import { registerNodeTypes } from './node-types.js';
import { appendRecord } from './records.js';

const env = process.env;
const dir = env.CHAOS_RECORDS_DIR!;
const file = join(dir, `${process.pid}.jsonl`);
const logFile = join(dir, `${process.pid}.log`);
const log = (level: string) => (message: string, meta?: Record<string, unknown>) =>
  appendFileSync(
    logFile,
    `${new Date().toISOString()} ${level} ${message} ${JSON.stringify(meta ?? {})}\n`,
  );

const store = new PostgresExecutionStore({
  connectionString: env.CHAOS_DATABASE_URL!,
  schema: env.CHAOS_SCHEMA!,
});
const registry = new NodeRegistry();
registerNodeTypes(registry, file);
const engine = new WorkflowEngine(registry, store, env.CHAOS_REDIS_URL!, {
  prefix: env.CHAOS_PREFIX!,
  lockDurationMs: Number(env.CHAOS_LOCK_MS),
  stalledIntervalMs: Number(env.CHAOS_STALLED_MS),
  reconcileIntervalMs: Number(env.CHAOS_RECONCILE_MS),
  shutdownGraceMs: 5_000,
  // Short, like the lock: a node that never resolves (poison-hang) fails within a run.
  defaultNodeTimeoutMs: 15_000,
  logger: { debug() {}, info() {}, warn: log('warn'), error: log('error') },
});
/** The events the checker reads; listening to `node:*` opens the node channel too. */
const RECORDED_EVENTS: EngineEventName[] = [
  'workflow:started',
  'workflow:completed',
  'workflow:failed',
  'workflow:cancelled',
  'node:completed',
];
for (const name of RECORDED_EVENTS) {
  engine.on(name, (payload) => {
    const p = payload as { executionId: string; nodeId?: string; eventId?: string; id?: string };
    appendRecord(file, {
      kind: 'event',
      pid: process.pid,
      name,
      executionId: p.executionId,
      nodeId: p.nodeId,
      eventId: p.eventId ?? p.id,
      at: Date.now(),
    });
  });
}
await engine.startWorkers(Number(env.CHAOS_CONCURRENCY ?? 4));
process.stdout.write('ready\n');
let closing = false;
process.on('SIGTERM', async () => {
  if (closing) return;
  closing = true;
  await engine.close();
  await store.close();
  process.exit(0);
});

import { NodeRegistry } from '@spane/core';
import { WorkflowEngine } from '@spane/bullmq';
import { InMemoryExecutionStore } from '@spane/store-memory';
import pg from 'pg';
import { Redis } from 'ioredis';

const t0 = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - t0) / 1e6;
let logOn = false;
const lines: string[] = [];
const proto = (Redis.prototype as any);
const orig = proto.sendCommand;
proto.sendCommand = function (cmd: any, ...rest: any[]) {
  if (logOn) {
    const name = cmd.name === 'evalsha' ? `evalsha ${String(cmd.args[0]).slice(0, 6)} ${String(cmd.args[2] ?? '').slice(-30)}` : `${cmd.name} ${String(cmd.args[0] ?? '').slice(-40)}`;
    const at = now();
    lines.push(`${at.toFixed(3)} > ${name}`);
    cmd.promise?.then(() => lines.push(`${now().toFixed(3)} < ${name} (${(now() - at).toFixed(3)})`), () => {});
  }
  return orig.call(this, cmd, ...rest);
};
const registry = new NodeRegistry();
registry.register('n', { async execute(ctx) { lines.push(`${now().toFixed(3)} EXEC ${ctx.nodeId}`); return { success: true, data: { x: 1 } }; } });
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const pq = (pg.Client.prototype as any).query;
(pg.Client.prototype as any).query = function (...args: any[]) {
  const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
  if (logOn) { const at = now(); lines.push(`${at.toFixed(3)} SQL> ${String(text).replace(/\s+/g, ' ').slice(0, 90)}`); const r = pq.apply(this, args); if (r?.then) r.then(() => lines.push(`${now().toFixed(3)} SQL< (${(now() - at).toFixed(3)})`), () => {}); return r; }
  return pq.apply(this, args);
};
const usePg = process.argv[2] === 'pg';
const explain = process.argv[3] === 'explain';
if (explain) process.env.PGOPTIONS = '-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on -c auto_explain.log_nested_statements=on';
const { PostgresExecutionStore } = await import('@spane/store-postgres');
const schema = `spane_tl_${process.pid}`;
const pgStore = usePg ? new PostgresExecutionStore({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', schema, poolConfig: { max: 10, ...(explain ? { options: process.env.PGOPTIONS } : {}) } }) : undefined;
if (pgStore) await pgStore.migrate();
const opened = pgStore ? { store: pgStore, async dispose() { await pgStore.close(); const c = new pg.Client('postgres://postgres@127.0.0.1:5432/test'); await c.connect(); await c.query(`DROP SCHEMA ${schema} CASCADE`); await c.end(); } } : undefined;
const engine = new WorkflowEngine(registry, opened ? opened.store : new InMemoryExecutionStore(), redis, { prefix: `tl-${process.pid}` });
const nodes = Array.from({ length: 4 }, (_, i) => ({ id: `N${i + 1}`, type: 'n', inputs: i === 0 ? [] : [`N${i}`] }));
await engine.registerWorkflow({ id: 'chain', name: 'chain', nodes } as any);
await engine.startWorkers(50);
for (let i = 0; i < 30; i++) { const id = await engine.enqueueWorkflow('chain', {}); await engine.waitForExecution(id); }
logOn = true;
const s = now();
lines.push(`${s.toFixed(3)} START`);
const id = await engine.enqueueWorkflow('chain', {});
await engine.waitForExecution(id);
lines.push(`${now().toFixed(3)} DONE (${(now() - s).toFixed(3)} ms)`);
logOn = false;
console.log(lines.join('\n'));
await engine.close();
await redis.quit();
await opened?.dispose();

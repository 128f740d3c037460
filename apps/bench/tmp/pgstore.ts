import { readFileSync } from 'node:fs';
import { compileWorkflow, startedRunToken } from '@spane/core';
import { PostgresExecutionStore } from '@spane/store-postgres';
import pg from 'pg';

const URL = 'postgres://postgres@127.0.0.1:5432/test';
const schema = `spane_ps_${process.pid}`;
const store = new PostgresExecutionStore({ connectionString: URL, schema, poolConfig: { max: 10 } });
await store.migrate();
const L = Array.from({ length: 10 }, (_, i) => String.fromCharCode(65 + i));
const plan = compileWorkflow({ id: 'c', name: 'c', nodes: L.map((id, i) => ({ id, type: 't', inputs: i === 0 ? [] : [L[i - 1]!] })) } as any);
await store.saveWorkflow(plan);
const ids = plan.order ?? Array.from({ length: 10 }, (_, i) => String.fromCharCode(65 + i));
const admin = new pg.Client(URL); await admin.connect();
const cpuOfBackends = async () => {
  const r = await admin.query(`select pid from pg_stat_activity where datname='test' and pid <> pg_backend_pid() and query not like '%pg_stat_activity%'`);
  let t = 0; for (const { pid } of r.rows) { try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const a = f.slice(f.lastIndexOf(')') + 2).split(' '); t += (+a[11] + +a[12]) * 10; } catch {} }
  return t;
};
const tel = (nodeId: string) => ({ span: { spanId: crypto.randomUUID(), executionId: '', nodeId, nodeType: 't', attempt: 1, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), status: 'ok' as const }, logs: [] as any[] });
async function one() {
  const token = crypto.randomUUID();
  const { execution: { executionId } } = await store.createExecution({ plan, initialData: { a: 1 }, start: ['A'], runToken: token } as any) as any;
  const times: number[] = [];
  let cur = 'A'; let tok = startedRunToken(token, 'A');
  for (let i = 0; i < 10; i++) {
    const next = String.fromCharCode(66 + i);
    const t = tel(cur); t.span.executionId = executionId;
    const nt = crypto.randomUUID();
    const s = process.hrtime.bigint();
    const r = await store.completeNode(plan, executionId, cur, { type: 'completed', data: { ok: true, n: i } }, t, { start: i < 9 ? [next] : [], runToken: tok });
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (!r.recorded) throw new Error('not recorded');
    // the engine would begin the child's run under the parent's token
    tok = startedRunToken(tok, next); cur = next; void nt;
  }
  return times;
}
for (let i = 0; i < 30; i++) await one();
const cpu0 = await cpuOfBackends(); const p0 = process.cpuUsage();
const all: number[] = []; const N = 200; const w0 = Date.now();
for (let i = 0; i < N; i++) all.push(...(await one()));
const wall = Date.now() - w0; const cpu1 = await cpuOfBackends(); const p1 = process.cpuUsage(p0);
all.sort((a, b) => a - b);
console.log(`completeNode p50 ${all[all.length >> 1].toFixed(3)} ms p90 ${all[Math.floor(all.length * 0.9)].toFixed(3)}; per node: wall ${(wall / N / 10).toFixed(3)} ms, PG backends CPU ${((cpu1 - cpu0) * 1000 / N / 10).toFixed(0)} µs, client CPU ${((p1.user + p1.system) / N / 10).toFixed(0)} µs`);
await store.close(); await admin.query(`drop schema ${schema} cascade`); await admin.end();

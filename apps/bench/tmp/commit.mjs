import pg from 'pg';
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
await c.connect();
await c.query('create temp table if not exists z(a int)');
await c.query('create table if not exists public.zz_commit_probe(a int)');
for (const [label, q] of [['select', 'select 1'], ['temp insert (no wal)', 'insert into z values (1)'], ['insert commit', 'insert into public.zz_commit_probe values (1)']]) {
  const t = []; for (let i = 0; i < 300; i++) { const s = process.hrtime.bigint(); await c.query(q); t.push(Number(process.hrtime.bigint() - s) / 1e6); }
  t.sort((a, b) => a - b); console.log(label, 'p50', t[150].toFixed(3), 'p90', t[270].toFixed(3));
}
await c.query('drop table public.zz_commit_probe');
await c.end();

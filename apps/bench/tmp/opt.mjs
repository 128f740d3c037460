import pg from 'pg';
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', options: '-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0' });
await c.connect();
console.log((await c.query("show auto_explain.log_min_duration")).rows, (await c.query('show session_preload_libraries')).rows);
await c.query('select 1');
await c.end();

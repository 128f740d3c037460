import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CostSnapshot,
  costPerNode,
  countStatements,
  parseCommandStats,
  parseInfoCpu,
  parseProcStat,
  poolTicksDelta,
  serverTicks,
} from '../src/cost.js';
import { backendTicks, CostProbe, clockTicksPerSecond } from '../src/cost-probe.js';
import { medianCost } from '../src/cost-report.js';
import { workloads } from '../src/workloads.js';

const INFO_CPU = [
  '# CPU',
  'used_cpu_sys:12.345678',
  'used_cpu_user:30.5',
  'used_cpu_sys_children:0.001',
  'used_cpu_user_children:0.002',
  'used_cpu_sys_main_thread:12.0',
  'used_cpu_user_main_thread:30.0',
  '',
].join('\r\n');

const COMMANDSTATS = [
  '# Commandstats',
  'cmdstat_evalsha:calls=1200,usec=5000,usec_per_call=4.17,rejected_calls=0,failed_calls=0',
  'cmdstat_client|setname:calls=3,usec=1,usec_per_call=0.33,rejected_calls=0,failed_calls=0',
  'cmdstat_HGET:calls=40,usec=20,usec_per_call=0.5,rejected_calls=0,failed_calls=0',
  '',
].join('\r\n');

describe('parsing', () => {
  it('reads used_cpu_user + used_cpu_sys from INFO cpu, not the children or main-thread lines', () => {
    expect(parseInfoCpu(INFO_CPU)).toBeCloseTo(42.845678, 6);
    expect(parseInfoCpu('# CPU\r\nused_cpu_sys:1.0\r\n')).toBeNaN();
  });

  it('reads the calls of every command from INFO commandstats, subcommands included', () => {
    const calls = parseCommandStats(COMMANDSTATS);
    expect([...calls]).toEqual([
      ['evalsha', 1200],
      ['client|setname', 3],
      ['hget', 40],
    ]);
    expect(parseCommandStats('# Commandstats\r\n').size).toBe(0);
  });

  it('reads /proc/<pid>/stat fields after the last parenthesis of the command name', () => {
    const tail = 'S 2216 2216 2216 0 -1 4194368 1500 0 0 0 731 212 55 66 20 0 1 0 2840 0 0';
    expect(parseProcStat(`2231 (postgres) ${tail}`)).toEqual({
      pid: 2231,
      comm: 'postgres',
      ppid: 2216,
      utime: 731,
      stime: 212,
      cutime: 55,
      cstime: 66,
    });
    const odd = parseProcStat(`77 (a (b) c) d)) ${tail}\n`);
    expect(odd?.comm).toBe('a (b) c) d)');
    expect(odd?.utime).toBe(731);
    expect(odd?.ppid).toBe(2216);
    expect(parseProcStat('77 (cut short) S 1 2')).toBeUndefined();
    expect(parseProcStat('no parentheses')).toBeUndefined();
  });

  it('reads this process from the real /proc', async () => {
    const found = await backendTicks([process.pid]);
    // This process is node, not postgres: the probe must not count it as a backend.
    expect(found).toBeUndefined();
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });

  it('counts the statements of a SQL text outside quotes, dollar quotes and comments', () => {
    expect(countStatements('SELECT 1')).toBe(1);
    expect(countStatements('SELECT 1;')).toBe(1);
    expect(countStatements('BEGIN;\nUPDATE t SET a = 1;\nCOMMIT')).toBe(3);
    expect(countStatements('INSERT INTO t VALUES (\'a;b\', "x;y");  SELECT 2 ; ')).toBe(2);
    expect(countStatements('SELECT $tag$ ; $tag$; SELECT $$;$$')).toBe(2);
    expect(countStatements('-- a; comment\nSELECT 1 /* ; */; ;')).toBe(1);
    expect(countStatements('')).toBe(0);
  });
});

function snapshot(over: Partial<CostSnapshot>): CostSnapshot {
  return { processCpuUs: 0, redisCpuS: 0, redisCalls: new Map(), ...over };
}

describe('per-node arithmetic', () => {
  it("divides each delta by the node count and takes off the snapshots' own commands", () => {
    const before = snapshot({
      processCpuUs: 1_000_000,
      redisCpuS: 10,
      redisCalls: new Map([
        ['evalsha', 100],
        ['info', 7],
      ]),
      pgPoolTicks: new Map([
        [11, 100],
        [12, 50],
      ]),
      pgServerTicks: 1_000,
      pgXacts: 5_000,
      sqlRoundTrips: 10,
      sqlStatements: 20,
    });
    const after = snapshot({
      processCpuUs: 1_500_000,
      redisCpuS: 10.25,
      redisCalls: new Map([
        ['evalsha', 2_100],
        ['hget', 500],
        ['info', 10],
      ]),
      // pid 12 gone (its ticks are lost), pid 13 new (all of its ticks count).
      pgPoolTicks: new Map([
        [11, 130],
        [13, 20],
      ]),
      pgServerTicks: 1_080,
      pgXacts: 6_002,
      sqlRoundTrips: 1_010,
      sqlStatements: 2_020,
    });
    const cost = costPerNode(
      before,
      after,
      1_000,
      { redisCommands: new Map([['info', 3]]), pgXacts: 2 },
      100,
    );
    expect(cost.engineCpuUs).toBe(500);
    expect(cost.redisCpuUs).toBeCloseTo(250, 9);
    expect(cost.redisCommands).toBe(2.5);
    expect(cost.redisByCommand).toEqual([
      { command: 'evalsha', perNode: 2 },
      { command: 'hget', perNode: 0.5 },
    ]);
    expect(cost.pgPoolCpuUs).toBe(500); // 50 ticks of 10 ms ÷ 1,000 nodes
    expect(cost.pgServerCpuUs).toBe(800);
    expect(cost.sqlXacts).toBe(1);
    expect(cost.sqlRoundTrips).toBe(1);
    expect(cost.sqlStatements).toBe(2);
  });

  it('gives NaN for what was not measured (no PostgreSQL)', () => {
    const cost = costPerNode(
      snapshot({}),
      snapshot({ processCpuUs: 10 }),
      10,
      { redisCommands: new Map(), pgXacts: 0 },
      100,
    );
    expect(cost.engineCpuUs).toBe(1);
    expect(cost.pgPoolCpuUs).toBeNaN();
    expect(cost.pgServerCpuUs).toBeNaN();
    expect(cost.sqlXacts).toBeNaN();
    expect(cost.sqlRoundTrips).toBeNaN();
    expect(poolTicksDelta(undefined, new Map())).toBeNaN();
  });

  it('sums a cluster: the postmaster with its reaped children, and its live children only', () => {
    const p = (pid: number, ppid: number, t: number) => ({
      pid,
      comm: 'postgres',
      ppid,
      utime: t,
      stime: t,
      cutime: t,
      cstime: t,
    });
    expect(serverTicks([p(1, 0, 100), p(2, 1, 5), p(3, 1, 7), p(4, 2, 1000), p(5, 9, 9)], 1)).toBe(
      400 + 10 + 14,
    );
  });

  it('takes medians per figure and the five most called commands over the repetitions', () => {
    const w = workloads(true).find((x) => x.id === 'W2')!;
    const rep = (engine: number, calls: [string, number][]) => ({
      ...costPerNode(
        snapshot({}),
        snapshot({ processCpuUs: engine * 10, redisCalls: new Map(calls) }),
        10,
        { redisCommands: new Map(), pgXacts: 0 },
        100,
      ),
    });
    const row = medianCost(w, 'memory', [
      rep(100, [
        ['evalsha', 30],
        ['a', 1],
        ['b', 2],
        ['c', 3],
        ['d', 4],
        ['e', 5],
      ]),
      rep(300, [['evalsha', 50]]),
      undefined,
      rep(200, [['evalsha', 40]]),
    ])!;
    expect(row.engineCpuUs).toBe(200);
    expect(row.redisCommands).toBe(4.5); // 4.5, 5, 4 per node
    expect(row.redisTop.map((c) => c.command)).toEqual(['evalsha', 'a', 'b', 'c', 'd']);
    expect(row.redisTop[0]!.perNode).toBe(4);
    expect(row.redisTop[1]!.perNode).toBe(0); // median of 0.1, 0, 0
    expect(medianCost(w, 'memory', [undefined])).toBeUndefined();
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('the probe on a private Redis', () => {
  let child: ChildProcess;
  let redis: Redis;

  beforeAll(async () => {
    const port = await freePort();
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await once(child, 'spawn');
    redis = new Redis(`redis://127.0.0.1:${port}`, {
      maxRetriesPerRequest: 1,
      retryStrategy: (n) => (n > 100 ? null : 50),
    });
    redis.on('error', () => {});
    const deadline = Date.now() + 10_000;
    while (redis.status !== 'ready') {
      if (Date.now() > deadline) throw new Error('private redis-server did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(async () => {
    redis?.disconnect();
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('counts exactly the commands sent between its snapshots, not its own INFO calls', async () => {
    const probe = new CostProbe(redis);
    await probe.before();
    for (let i = 0; i < 10; i++) await redis.set(`k${i}`, 'v');
    for (let i = 0; i < 3; i++) await redis.get(`k${i}`);
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += i % 7; // some CPU in this process
    const cost = await probe.after(2);
    await probe.close();
    expect(x).toBeGreaterThan(0);
    expect(cost.redisCommands).toBe(6.5);
    expect(cost.redisByCommand).toEqual([
      { command: 'set', perNode: 5 },
      { command: 'get', perNode: 1.5 },
    ]);
    expect(cost.engineCpuUs).toBeGreaterThan(0);
    expect(cost.redisCpuUs).toBeGreaterThanOrEqual(0);
    expect(cost.pgPoolCpuUs).toBeNaN();
  });
});

import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import pg from 'pg';
import {
  type CostSnapshot,
  costPerNode,
  type NodeCost,
  type ProcStat,
  parseCommandStats,
  parseInfoCpu,
  parseProcStat,
  serverTicks,
} from './cost.js';

/** Round trips and statements a pool's connections sent, counted as they are sent. */
export interface SqlCounts {
  roundTrips: number;
  statements: number;
}

/** How the bench sees the store's pool: its connections' `application_name` and counts. */
export interface SqlObservation {
  applicationName: string;
  counts: SqlCounts;
}

/**
 * `pg_stat_database` is fed by each backend at most once a second (PostgreSQL 15's
 * `PGSTAT_MIN_INTERVAL`, also when it goes idle), so a reading waits this long after the
 * activity it must see.
 */
const PG_STATS_SETTLE_MS = 1_200;

/** Redis commands one probe sends between its two `INFO commandstats` readings. */
const OWN_REDIS_COMMANDS: ReadonlyMap<string, number> = new Map([['info', 3]]);

let ticks: number | undefined;

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 if unknown). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticks = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** `/proc/<pid>/stat` of a process; undefined when it is gone or unreadable. */
async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every readable `/proc/<pid>/stat` on this machine. */
async function allProcStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const stats = await Promise.all(pids.map(procStat));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

/**
 * utime + stime of the pids, and the postmaster (their parent); undefined when none is
 * readable or one is not a local `postgres` process (a server on another machine).
 */
export async function backendTicks(
  pids: readonly number[],
): Promise<{ ticks: Map<number, number>; postmaster: number } | undefined> {
  const ticks = new Map<number, number>();
  let postmaster: number | undefined;
  for (const pid of pids) {
    const s = await procStat(pid);
    if (s === undefined) continue; // gone (or /proc unreadable: then none is found)
    if (s.comm !== 'postgres') return undefined; // another machine's pid
    ticks.set(pid, s.utime + s.stime);
    postmaster ??= s.ppid;
  }
  return postmaster === undefined ? undefined : { ticks, postmaster };
}

/**
 * Takes the cost snapshots of one repetition: `before()` just before the clock starts,
 * `after(nodes)` right after the last execution. Redis and this process always; for an
 * implementation on PostgreSQL (`sql` given) also the store pool's backends (found by
 * `application_name` in `pg_stat_activity`), the whole server and `pg_stat_database`.
 */
export class CostProbe {
  readonly #redis: Redis;
  readonly #sql: SqlObservation | undefined;
  readonly #databaseUrl: string;
  #client: pg.Client | undefined;
  #postmaster: number | undefined;
  #before: CostSnapshot | undefined;

  constructor(redis: Redis, databaseUrl: string, sql?: SqlObservation) {
    this.#redis = redis;
    this.#databaseUrl = databaseUrl;
    this.#sql = sql;
  }

  async #query(): Promise<{ pids: number[]; xacts: number }> {
    if (!this.#client) {
      const client = new pg.Client({ connectionString: this.#databaseUrl });
      client.on('error', () => {});
      await client.connect();
      this.#client = client;
    }
    const { rows } = await this.#client.query<{ pids: number[]; xacts: string }>(
      `SELECT
         (SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = $1) AS pids,
         (SELECT xact_commit + xact_rollback FROM pg_stat_database
           WHERE datname = current_database()) AS xacts`,
      [this.#sql?.applicationName ?? ''],
    );
    return { pids: rows[0]!.pids, xacts: Number(rows[0]!.xacts) };
  }

  /** Pool backend ticks and whole-server ticks, when the server's processes are readable here. */
  async #procTicks(pids: readonly number[]): Promise<Partial<CostSnapshot>> {
    const backends = await backendTicks(pids);
    if (!backends) return {};
    this.#postmaster ??= backends.postmaster;
    const server = serverTicks(await allProcStats(), this.#postmaster);
    return { pgPoolTicks: backends.ticks, ...(server > 0 ? { pgServerTicks: server } : {}) };
  }

  async #redisInfo(
    order: 'stats-first' | 'cpu-first',
  ): Promise<Pick<CostSnapshot, 'redisCpuS' | 'redisCalls'>> {
    if (order === 'stats-first') {
      const redisCalls = parseCommandStats(await this.#redis.info('commandstats'));
      return { redisCalls, redisCpuS: parseInfoCpu(await this.#redis.info('cpu')) };
    }
    const redisCpuS = parseInfoCpu(await this.#redis.info('cpu'));
    return { redisCpuS, redisCalls: parseCommandStats(await this.#redis.info('commandstats')) };
  }

  /** Counters just before the clock starts (waits for PostgreSQL's statistics to settle). */
  async before(): Promise<void> {
    let pg: Partial<CostSnapshot> = {};
    if (this.#sql) {
      await new Promise((r) => setTimeout(r, PG_STATS_SETTLE_MS));
      const { pids, xacts } = await this.#query();
      pg = { pgXacts: xacts, ...(await this.#procTicks(pids)) };
      pg.sqlRoundTrips = this.#sql.counts.roundTrips;
      pg.sqlStatements = this.#sql.counts.statements;
    }
    const redis = await this.#redisInfo('stats-first');
    this.#before = { ...pg, ...redis, processCpuUs: cpuUs() };
  }

  /** Per-node figures since `before()`; `nodes` is the node runs measured. */
  async after(nodes: number): Promise<NodeCost> {
    const processCpuUs = cpuUs();
    if (!this.#before) throw new Error('CostProbe.after() without before()');
    const sql = this.#sql
      ? { roundTrips: this.#sql.counts.roundTrips, statements: this.#sql.counts.statements }
      : undefined;
    const redis = await this.#redisInfo('cpu-first');
    let pg: Partial<CostSnapshot> = {};
    if (sql) {
      const { pids } = await this.#query();
      pg = await this.#procTicks(pids);
      await new Promise((r) => setTimeout(r, PG_STATS_SETTLE_MS));
      pg.pgXacts = (await this.#query()).xacts;
      pg.sqlRoundTrips = sql.roundTrips;
      pg.sqlStatements = sql.statements;
    }
    const after: CostSnapshot = { ...pg, ...redis, processCpuUs };
    // The probe's own transactions seen by the second reading: the first reading's and the
    // pid query of `after` (the second reading's own is counted after it answers).
    const overhead = { redisCommands: OWN_REDIS_COMMANDS, pgXacts: 2 };
    return costPerNode(this.#before, after, nodes, overhead, clockTicksPerSecond());
  }

  async close(): Promise<void> {
    await this.#client?.end().catch(() => {});
    this.#client = undefined;
  }
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Whether `pg_stat_statements` can be read in this database: tried in a transaction that
 * is rolled back (`CREATE EXTENSION` then a read), so nothing is left behind. It needs
 * `shared_preload_libraries`, which a default server does not have.
 */
export async function pgStatStatementsAvailable(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('BEGIN');
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end().catch(() => {});
  }
}

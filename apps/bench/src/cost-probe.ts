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

/** One connection of the observed pool. */
export interface ObservedConnection {
  /** Its backend's pid (undefined before it connected). */
  pid(): number | undefined;
  /** Runs a query on it without counting it. */
  uncounted(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

/** How the bench sees the store's pool: what its connections sent, and the connections. */
export interface SqlObservation {
  counts: SqlCounts;
  connections: Set<ObservedConnection>;
}

/**
 * A backend reports its counts to `pg_stat_database` when it goes idle, but at most once a
 * second; a report due sooner is put off for 10 s (PostgreSQL 15: `PGSTAT_MIN_INTERVAL`,
 * `PGSTAT_IDLE_INTERVAL`). So a reading waits this long after the activity, then runs one
 * `SELECT 1` on each of the pool's connections: that transaction ends more than a second after
 * the backend's last report, and it reports before answering.
 */
const PG_STATS_SETTLE_MS = 1_100;

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
 * implementation on PostgreSQL (`sql` given) also the store pool's backends (the pids of its
 * connections), the whole server and `pg_stat_database`.
 */
export class CostProbe {
  readonly #redis: Redis;
  readonly #sql: SqlObservation | undefined;
  #postmaster: number | undefined;
  #before: CostSnapshot | undefined;

  constructor(redis: Redis, sql?: SqlObservation) {
    this.#redis = redis;
    this.#sql = sql;
  }

  /** Makes the pool's backends report their counts, then reads the database's transactions. */
  async #xacts(sql: SqlObservation): Promise<{ xacts: number; own: number } | undefined> {
    await new Promise((r) => setTimeout(r, PG_STATS_SETTLE_MS));
    const live: ObservedConnection[] = [];
    for (const c of sql.connections) {
      try {
        await c.uncounted('SELECT 1');
        live.push(c);
      } catch {
        sql.connections.delete(c); // closed by the pool
      }
    }
    // The pool may close an idle connection at any moment (a scale-out set-up idles while
    // the other one of its session runs): the reading goes to the first that still answers.
    for (const c of live) {
      try {
        const { rows } = await c.uncounted(
          'SELECT xact_commit + xact_rollback AS xacts FROM pg_stat_database WHERE datname = current_database()',
        );
        return { xacts: Number(rows[0]?.xacts), own: live.length };
      } catch {
        sql.connections.delete(c);
      }
    }
    return undefined;
  }

  /** Ticks of the pool's backends and of the whole server, when their processes are readable here. */
  async #procTicks(sql: SqlObservation): Promise<Partial<CostSnapshot>> {
    const pids = [...sql.connections].flatMap((c) => c.pid() ?? []);
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
      const reading = await this.#xacts(this.#sql);
      pg = {
        ...(await this.#procTicks(this.#sql)),
        ...(reading ? { pgXacts: reading.xacts } : {}),
        sqlRoundTrips: this.#sql.counts.roundTrips,
        sqlStatements: this.#sql.counts.statements,
      };
    }
    const redis = await this.#redisInfo('stats-first');
    this.#before = { ...pg, ...redis, processCpuUs: cpuUs() };
  }

  /** Per-node figures since `before()`; `nodes` is the node runs measured. */
  async after(nodes: number): Promise<NodeCost> {
    const processCpuUs = cpuUs();
    if (!this.#before) throw new Error('CostProbe.after() without before()');
    const sql = this.#sql;
    const counts = sql ? { ...sql.counts } : undefined;
    const redis = await this.#redisInfo('cpu-first');
    let pg: Partial<CostSnapshot> = {};
    // Seen by this reading and not the first: the first reading's own pg_stat_database query
    // (reported with the run's counts) and this reading's SELECT 1s.
    let ownXacts = 0;
    if (sql && counts) {
      pg = await this.#procTicks(sql);
      const reading = await this.#xacts(sql);
      if (reading) {
        pg.pgXacts = reading.xacts;
        ownXacts = 1 + reading.own;
      }
      pg.sqlRoundTrips = counts.roundTrips;
      pg.sqlStatements = counts.statements;
    }
    const after: CostSnapshot = { ...pg, ...redis, processCpuUs };
    const overhead = { redisCommands: OWN_REDIS_COMMANDS, pgXacts: ownXacts };
    return costPerNode(this.#before, after, nodes, overhead, clockTicksPerSecond());
  }

  /** Nothing to release (readings use the pool's own connections); kept for symmetry. */
  async close(): Promise<void> {}
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

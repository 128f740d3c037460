/**
 * What a node costs: the pure half — parsing Redis `INFO cpu` / `INFO commandstats` and
 * `/proc/<pid>/stat`, counting the statements of a SQL text, and turning two snapshots into
 * per-node figures. The I/O half (taking the snapshots) is `cost-probe.ts`.
 */

/** CPU seconds of the Redis server (`used_cpu_user` + `used_cpu_sys`: the whole server). */
export function parseInfoCpu(info: string): number {
  const user = /^used_cpu_user:([\d.]+)/m.exec(info);
  const sys = /^used_cpu_sys:([\d.]+)/m.exec(info);
  if (!user || !sys) return Number.NaN;
  return Number(user[1]) + Number(sys[1]);
}

/** Calls per command from `INFO commandstats` (`cmdstat_<name>:calls=N,…`; names lower case). */
export function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) {
    calls.set(match[1]!.toLowerCase(), Number(match[2]));
  }
  return calls;
}

/** The fields of `/proc/<pid>/stat` the bench reads (times in clock ticks). */
export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  utime: number;
  stime: number;
  /** CPU of children this process has waited for (the postmaster reaps exited backends). */
  cutime: number;
  cstime: number;
}

/**
 * Parses a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and may
 * hold spaces and parentheses itself, so the fields after it are found from the last `)`.
 * Fields (1-based, proc(5)): 4 ppid, 14 utime, 15 stime, 16 cutime, 17 cstime.
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field f is rest[f - 3].
  const field = (f: number): number => Number(rest[f - 3]);
  const stat: ProcStat = {
    pid,
    comm: line.slice(open + 1, close),
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
  const numbers = [stat.pid, stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime];
  return numbers.every(Number.isInteger) ? stat : undefined;
}

/** Counted texts: a store sends the same texts over and over (prepared statements). */
const counted = new Map<string, number>();
const MAX_COUNTED = 1_000;
/** A dollar-quote tag at the regex's lastIndex. */
const DOLLAR_TAG = /\$[A-Za-z_]*\$/y;

/**
 * Statements in a SQL text sent as one query: top-level `;` separators, outside quoted
 * strings, quoted identifiers, dollar quotes and comments (a trailing `;` ends the last one).
 * Remembered per text, so that counting costs the measured process next to nothing.
 */
export function countStatements(sql: string): number {
  const known = counted.get(sql);
  if (known !== undefined) return known;
  const count = scanStatements(sql);
  if (counted.size >= MAX_COUNTED) counted.clear();
  counted.set(sql, count);
  return count;
}

function scanStatements(sql: string): number {
  let count = 0;
  let pending = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end + 1;
      pending = true;
    } else if (c === '$') {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql)?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? sql.length : end + tag.length;
      } else i += 1;
      pending = true;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === ';') {
      if (pending) count += 1;
      pending = false;
      i += 1;
    } else {
      if (!/\s/.test(c)) pending = true;
      i += 1;
    }
  }
  return pending ? count + 1 : count;
}

/** Cumulative counters at one moment; a figure that could not be read is NaN (or undefined). */
export interface CostSnapshot {
  /** `process.cpuUsage()` user + system of this process, µs. */
  processCpuUs: number;
  /** Redis server CPU, seconds. */
  redisCpuS: number;
  /** Redis calls per command. */
  redisCalls: Map<string, number>;
  /** Clock ticks (utime + stime) of the store pool's backends, per pid. */
  pgPoolTicks?: Map<number, number>;
  /** Clock ticks of the whole PostgreSQL server: postmaster incl. reaped children + live children. */
  pgServerTicks?: number;
  /** `xact_commit + xact_rollback` of the database (`pg_stat_database`). */
  pgXacts?: number;
  /** Round trips and statements the store's pool sent (counted client-side). */
  sqlRoundTrips?: number;
  sqlStatements?: number;
}

/** Per-node figures of one repetition (NaN: not measured / not applicable). */
export interface NodeCost {
  engineCpuUs: number;
  redisCpuUs: number;
  redisCommands: number;
  /** Calls per node of every command that was called, most calls first. */
  redisByCommand: { command: string; perNode: number }[];
  pgPoolCpuUs: number;
  pgServerCpuUs: number;
  sqlXacts: number;
  sqlRoundTrips: number;
  sqlStatements: number;
}

/** What the snapshots themselves add between the two readings, subtracted from the deltas. */
export interface SnapshotOverhead {
  /** Redis commands (by name) the snapshots send between the two commandstats readings. */
  redisCommands: ReadonlyMap<string, number>;
  /** Transactions the probe's own connection ran between the two `pg_stat_database` readings. */
  pgXacts: number;
}

const delta = (a: number | undefined, b: number | undefined): number =>
  a === undefined || b === undefined ? Number.NaN : b - a;

/** Ticks gained by the pids of `after` (a pid not seen before started inside the window). */
export function poolTicksDelta(
  before: ReadonlyMap<number, number> | undefined,
  after: ReadonlyMap<number, number> | undefined,
): number {
  if (!before || !after) return Number.NaN;
  let sum = 0;
  for (const [pid, ticks] of after) sum += ticks - (before.get(pid) ?? 0);
  return sum;
}

/** Turns two snapshots into per-node figures (`nodes` = node runs measured). */
export function costPerNode(
  before: CostSnapshot,
  after: CostSnapshot,
  nodes: number,
  overhead: SnapshotOverhead,
  ticksPerSecond: number,
): NodeCost {
  const tickUs = 1e6 / ticksPerSecond;
  const byCommand: { command: string; perNode: number }[] = [];
  let commands = 0;
  for (const [command, calls] of after.redisCalls) {
    const own = overhead.redisCommands.get(command) ?? 0;
    const n = calls - (before.redisCalls.get(command) ?? 0) - own;
    if (n <= 0) continue;
    commands += n;
    byCommand.push({ command, perNode: n / nodes });
  }
  byCommand.sort((a, b) => b.perNode - a.perNode || a.command.localeCompare(b.command));
  return {
    engineCpuUs: (after.processCpuUs - before.processCpuUs) / nodes,
    redisCpuUs: ((after.redisCpuS - before.redisCpuS) * 1e6) / nodes,
    redisCommands: commands / nodes,
    redisByCommand: byCommand,
    pgPoolCpuUs: (poolTicksDelta(before.pgPoolTicks, after.pgPoolTicks) * tickUs) / nodes,
    pgServerCpuUs: (delta(before.pgServerTicks, after.pgServerTicks) * tickUs) / nodes,
    sqlXacts: (delta(before.pgXacts, after.pgXacts) - overhead.pgXacts) / nodes,
    sqlRoundTrips: delta(before.sqlRoundTrips, after.sqlRoundTrips) / nodes,
    sqlStatements: delta(before.sqlStatements, after.sqlStatements) / nodes,
  };
}

/**
 * Whole-server ticks of a PostgreSQL cluster from the processes on this machine: the
 * postmaster (`postmasterPid`) with the CPU of children it reaped, plus its live children.
 * An exited backend's time moves into the postmaster's `cutime`/`cstime`, so deltas stay right.
 */
export function serverTicks(stats: readonly ProcStat[], postmasterPid: number): number {
  let sum = 0;
  for (const s of stats) {
    if (s.pid === postmasterPid) sum += s.utime + s.stime + s.cutime + s.cstime;
    else if (s.ppid === postmasterPid) sum += s.utime + s.stime;
  }
  return sum;
}

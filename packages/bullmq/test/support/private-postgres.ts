import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './private-redis.js';

const run = promisify(execFile);

/** A PostgreSQL server of this test's own (initdb on a temp dir, a free port); tests may restart it. */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** Stops the server (fast shutdown: open connections are dropped); `start` brings it back. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** SIGSTOPs the server and its backends: connections stay open, nothing is answered. */
  freeze(): void;
  /** SIGCONTs what `freeze` stopped. */
  thaw(): void;
  /** Stops the server this helper started and removes its data directory. */
  stop(): Promise<void>;
}

function findBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const v of versions)
      if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  }
  throw new Error(
    'initdb and pg_ctl are needed to run a private PostgreSQL for this test; install them: apt-get install -y postgresql',
  );
}

/**
 * initdb + pg_ctl on a temp directory and a free loopback port, trust auth for `postgres`.
 * As root, the server runs as the `postgres` OS user (PostgreSQL refuses to run as root).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findBinDir();
  const port = await freePort();
  const base = mkdtempSync(join(tmpdir(), 'spane-pg-'));
  const data = join(base, 'data');
  const asRoot = process.getuid?.() === 0;
  const exec = async (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', full, ...args]) : run(full, args);
  };
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(base, Number(stdout.trim()), Number(gid.trim()));
  }
  chmodSync(base, 0o700);
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${base} -c fsync=off`;
  const ctl = (action: string, extra: string[] = []) =>
    exec('pg_ctl', [
      '-D',
      data,
      '-l',
      join(base, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '30',
      ...extra,
      action,
    ]);
  await ctl('start');
  let frozen: number[] = [];
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async down() {
      await ctl('stop', ['-m', 'fast']);
    },
    freeze() {
      frozen = serverPids(data);
      for (const pid of frozen) signal(pid, 'SIGSTOP');
    },
    thaw() {
      for (const pid of frozen.splice(0)) signal(pid, 'SIGCONT');
    },
    async up() {
      await ctl('start');
    },
    async stop() {
      for (const pid of frozen.splice(0)) signal(pid, 'SIGCONT');
      await ctl('stop', ['-m', 'fast']).catch(() => {});
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Sends `sig` to a process of this helper's server; one that is gone is skipped. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // exited meanwhile
  }
}

/** The postmaster of the server on `data` (its `postmaster.pid`) and its child processes. */
function serverPids(data: string): number[] {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), in parentheses: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

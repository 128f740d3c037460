/**
 * A private PostgreSQL for the suite: `initdb` into a temp directory, `pg_ctl` on a free
 * loopback port, trust auth for `postgres`. As root the server runs as the `postgres` OS
 * user (PostgreSQL refuses root). Only this cluster is ever restarted or stopped.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** The suite's PostgreSQL and the faults it can suffer. */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`: every connection is dropped, the server comes back at once. */
  restartFast(): Promise<void>;
  /** `pg_ctl stop -m fast`. */
  down(): Promise<void>;
  /** `pg_ctl start`. */
  up(): Promise<void>;
  /** `pg_terminate_backend` on every other client backend; returns how many it ended. */
  terminateBackends(): Promise<number>;
  /** Starts it when it is down (a scenario's cleanup). */
  heal(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

function findBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a)))
      if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  }
  throw new Error(
    'initdb and pg_ctl are needed for the chaos suite; install them: apt-get install -y postgresql',
  );
}

/** initdb + start; throws with what to install when the binaries are missing. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findBinDir();
  const port = await freePort();
  const base = mkdtempSync(join(tmpdir(), 'spane-chaos-pg-'));
  const data = join(base, 'data');
  const asRoot = process.getuid?.() === 0;
  const exec = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', full, ...args]) : run(full, args);
  };
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(base, Number(uid.trim()), Number(gid.trim()));
  }
  chmodSync(base, 0o700);
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${base} -c fsync=off -c max_connections=200`;
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
      '60',
      ...extra,
      action,
    ]);
  const isUp = async () => {
    const r = await exec('pg_ctl', ['-D', data, 'status']).then(
      () => true,
      () => false,
    );
    return r;
  };
  await ctl('start');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async restartFast() {
      await ctl('restart', ['-m', 'fast']);
    },
    async down() {
      await ctl('stop', ['-m', 'fast']);
    },
    async up() {
      await ctl('start');
    },
    async terminateBackends() {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      await client.connect();
      try {
        const r = await client.query(
          `SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) t`,
        );
        return (r.rows[0] as { n: number }).n;
      } finally {
        await client.end().catch(() => {});
      }
    },
    async heal() {
      if (!(await isUp())) await ctl('start');
    },
    async stop() {
      await ctl('stop', ['-m', 'immediate']).catch(() => {});
      rmSync(base, { recursive: true, force: true });
    },
  };
}

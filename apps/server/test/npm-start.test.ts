import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  deletePrefix,
  isAlive,
  logLines,
  type Proc,
  portIsFree,
  spawnProc,
  waitFor,
} from './support/processes.js';

/**
 * `npm start` as a user runs it: from a directory of their own (npm is pointed at the
 * repository with --prefix, so INIT_CWD is that directory), through scripts/start.sh to
 * `node apps/server/dist/main.js`, stopped by a signal to npm's PID.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = 'npm-start-test-key-00001';
const prefixes: string[] = [];
const started: Proc[] = [];
const dirs: string[] = [];

afterAll(async () => {
  // A failed test may leave its npm running: stop its process group (npm and the server).
  for (const { child } of started) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Started extends Proc {
  npmPid: number;
  serverPid: number;
  port: number;
  url: string;
  dir: string;
}

/** Runs `npm start` in a fresh directory holding nodes.mjs and waits until it is ready. */
async function npmStart(options: { generatedKey?: boolean } = {}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'spane-npm-start-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'nodes.mjs'),
    "export default (registry) => { registry.register('greet', { execute: async () => ({ success: true, data: 'hi' }) }); };\n",
  );
  const prefix = `spane-npm-start-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const proc = spawnProc('npm', ['--prefix', ROOT, 'start'], {
    cwd: dir,
    // Its own process group, so that a test can send what Ctrl-C sends.
    detached: true,
    env: cleanEnv({
      PORT: '0',
      REDIS_URL,
      SPANE_REDIS_PREFIX: prefix,
      ...(options.generatedKey ? {} : { SPANE_API_KEYS: `${KEY}:default:admin` }),
      SPANE_NODES: './nodes.mjs',
      LOG_LEVEL: 'info',
    }),
  });
  started.push(proc);
  const line = await waitFor('the server to start', 150_000, () => {
    if (proc.child.exitCode !== null) throw new Error(`npm start exited:\n${proc.output()}`);
    return logLines(proc.output()).find((l) => l.msg === 'spane server started');
  });
  const listening = logLines(proc.output())
    .map((l) => /^Server listening at (http:\/\/127\.0\.0\.1:(\d+))$/.exec(String(l.msg)))
    .find((m) => m !== null);
  expect(listening, proc.output()).toBeDefined();
  const url = listening![1]!;
  await waitFor('/health/ready', 20_000, async () =>
    (await fetch(`${url}/health/ready`)).status === 200 ? true : undefined,
  );
  return {
    ...proc,
    npmPid: proc.child.pid!,
    serverPid: line.pid as number,
    port: Number(listening![2]),
    url,
    dir,
  };
}

/** After npm exited: the server process is gone, its port is free, it shut down once. */
async function expectStopped(s: Started, signal: string): Promise<void> {
  const code = await Promise.race([
    s.exit,
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 40_000)),
  ]);
  expect(code, s.output()).toBe(0);
  expect(isAlive(s.serverPid)).toBe(false);
  expect(await portIsFree(s.port)).toBe(true);
  const lines = logLines(s.output());
  expect(lines.filter((l) => l.msg === 'shutting down')).toEqual([
    expect.objectContaining({ signal }),
  ]);
  expect(s.output()).not.toContain('second signal');
}

/** Runs the CLI the way the README says (`npm run -s spane -- …` from the repository root). */
function cli(
  url: string,
  key: string,
  args: string[],
): Promise<{ code: number | null; out: string }> {
  const proc = spawnProc('npm', ['run', '-s', 'spane', '--', ...args], {
    cwd: ROOT,
    env: cleanEnv({ SPANE_URL: url, SPANE_API_KEY: key }),
  });
  return proc.exit.then((code) => ({ code, out: proc.output() }));
}

describe('npm start', () => {
  it("follows the README: start, register a workflow from a file with the CLI, run it to the end, stop the server with npm's PID", async () => {
    const s = await npmStart({ generatedKey: true });
    // A key may begin or end with `-` or `_`: no word boundary there.
    const key = /(?<![A-Za-z0-9_-])(spane_[A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])/.exec(
      s.output(),
    )?.[1];
    expect(key, s.output()).toBeDefined();
    const registered = await cli(s.url, key!, [
      'workflows',
      'register',
      'apps/server/workflows/order-routing.json',
    ]);
    expect(registered, registered.out).toMatchObject({ code: 0 });
    expect(registered.out).toContain('order-routing');
    const run = await cli(s.url, key!, [
      'run',
      'order-routing',
      '--wait',
      '--timeout',
      '60',
      '--data',
      '{"order":{"id":1,"status":"paid"},"customer":{"name":"Ada"}}',
    ]);
    expect(run, run.out).toMatchObject({ code: 0 });
    expect(run.out).toContain('completed');
    expect(run.out).toContain('"action": "ship"');
    process.kill(s.npmPid, 'SIGTERM');
    await expectStopped(s, 'SIGTERM');
  }, 240_000);

  it("stops the server on SIGTERM to npm's PID, and resolves SPANE_NODES from the caller's directory", async () => {
    const s = await npmStart();
    // The chain is npm → node: start.sh replaced itself with the server (Linux: /proc).
    if (existsSync(`/proc/${s.serverPid}/stat`)) {
      const stat = readFileSync(`/proc/${s.serverPid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      expect(ppid).toBe(s.npmPid);
    }
    expect(logLines(s.output()).find((l) => l.msg === 'node types loaded')).toMatchObject({
      module: join(s.dir, 'nodes.mjs'),
      types: ['greet'],
    });
    const index = await fetch(`${s.url}/`);
    expect(await index.json()).toMatchObject({ ui: '/ui/', docs: '/docs' });
    // The build start.sh ran includes the inspector.
    const inspector = await fetch(`${s.url}/ui/`);
    expect(inspector.status).toBe(200);
    expect(inspector.headers.get('content-type')).toBe('text/html; charset=utf-8');
    process.kill(s.npmPid, 'SIGTERM');
    await expectStopped(s, 'SIGTERM');
  }, 240_000);

  it("stops the server on SIGINT to npm's PID", async () => {
    const s = await npmStart();
    process.kill(s.npmPid, 'SIGINT');
    await expectStopped(s, 'SIGINT');
  }, 120_000);

  it('shuts down once and gracefully on Ctrl-C (SIGINT to the process group: npm and the server)', async () => {
    const s = await npmStart();
    process.kill(-s.npmPid, 'SIGINT');
    await expectStopped(s, 'SIGINT');
  }, 120_000);
});

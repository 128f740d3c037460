import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type RunningServer, startServer } from '@spane-apps/server';
import { inject } from 'vitest';
import { deletePrefix } from '../../../../apps/server/test/support/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository's root. */
export const REPO_ROOT = join(here, '../../../..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The admin key of the test server. */
export const API_KEY = 'cli-test-admin-key-000001';

/** A server of apps/server on a free loopback port, a Redis prefix of its own and the test node types. */
export interface TestServer {
  server: RunningServer;
  url: string;
  /** Stops the server and deletes its Redis keys. */
  stop(): Promise<void>;
}

/** Starts apps/server as `npm start` would, with the test node types of `test-nodes.mjs`. */
export async function startTestServer(): Promise<TestServer> {
  const prefix = `spane-cli-test-${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL,
    SPANE_REDIS_PREFIX: prefix,
    SPANE_API_KEYS: `${API_KEY}:default:admin`,
    SPANE_NODES: join(here, 'test-nodes.mjs'),
    WORKER_CONCURRENCY: '4',
    LOG_LEVEL: 'warn',
  });
  const server = await startServer(config, { logStream: { write: () => {} } });
  return {
    server,
    url: server.url,
    async stop() {
      await server.close();
      await deletePrefix(REDIS_URL, prefix);
    },
  };
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** How a run of the CLI ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where and how the CLI runs. */
export interface CliOptions {
  /** Environment besides PATH and HOME (SPANE_URL and SPANE_API_KEY among it). */
  env: Record<string, string>;
  /** Working directory. @defaultValue the repository root */
  cwd?: string;
  /** Written to stdin, which is then closed. */
  input?: string;
}

/** A running CLI process: its output so far and how it ends. */
export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts `spane <args>` (built by build-cli.ts) as a child process; killed after 60 s. */
export function startCli(args: readonly string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [inject('cliBin'), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(options.input ?? '');
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stderr: () => stderr, done };
}

/** Runs `spane <args>` to its end. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Polls `check` every 50 ms until it returns a value, for at most `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

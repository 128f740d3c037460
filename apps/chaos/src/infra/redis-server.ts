/**
 * A private `redis-server` for the suite: a free loopback port, AOF on (`appendonly yes`)
 * in a temp directory, so it can be SIGKILLed and restarted with its data. Only the PID this
 * module spawned is ever signalled.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './ports.js';

/** The suite's Redis and the faults it can suffer. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** PID of the running server (changes on restart). */
  pid(): number;
  /** SIGKILL (no chance to rewrite or flush anything), then a fresh server on the same port and AOF. */
  killAndRestart(downMs?: number): Promise<void>;
  /** SIGSTOP: the server holds every connection and answers nothing. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** `FLUSHALL` over a connection of its own. */
  flushAll(): Promise<void>;
  /** Resumes it if paused and starts it if it is down (a scenario's cleanup). */
  heal(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

async function ping(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } finally {
    probe.disconnect();
  }
}

/** Starts the private Redis; throws with what to install when `redis-server` is missing. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spane-chaos-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let paused = false;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const launch = async () => {
    const c = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await Promise.race([
      once(c, 'spawn'),
      once(c, 'error').then(([err]) => {
        throw new Error(
          `cannot start redis-server (${(err as Error).message}); install it: apt-get install -y redis-server`,
        );
      }),
    ]);
    child = c;
    await waitUntil(() => ping(url), 20_000, `private redis-server on port ${port} did not answer`);
  };
  const kill = async (signal: NodeJS.Signals) => {
    if (!child || !alive()) return;
    const exited = once(child, 'exit');
    if (paused) child.kill('SIGCONT');
    child.kill(signal);
    paused = false;
    await exited;
  };
  await launch();
  const resume = () => {
    if (alive() && paused) child!.kill('SIGCONT');
    paused = false;
  };
  return {
    url,
    port,
    pid: () => child?.pid ?? 0,
    async killAndRestart(downMs = 0) {
      await kill('SIGKILL');
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    pause() {
      if (alive() && !paused) child!.kill('SIGSTOP');
      paused = true;
    },
    resume,
    async flushAll() {
      const r = new Redis(url, { maxRetriesPerRequest: 1 });
      r.on('error', () => {});
      try {
        await r.flushall();
      } finally {
        r.disconnect();
      }
    },
    async heal() {
      resume();
      if (!alive()) await launch();
    },
    async stop() {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

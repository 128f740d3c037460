import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './private-redis.js';

const run = promisify(execFile);

/** A Redis Cluster of this test's own: 3 masters, no replicas, on free loopback ports. */
export interface PrivateCluster {
  /** The masters' ports. */
  ports: number[];
  /** A new ioredis `Cluster` client of it (the caller closes it). */
  client(options?: { maxRetriesPerRequest?: number | null }): Cluster;
  /** Stops the servers this helper started (by their PIDs) and removes their directory. */
  stop(): Promise<void>;
}

/** Resolves once `check` returns true; throws with `what` after `ms`. */
async function poll(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`private cluster: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends one command to one server with a throwaway connection. */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return await probe.call(args[0]!, ...args.slice(1));
  } finally {
    probe.disconnect();
  }
}

/**
 * Starts three `redis-server --cluster-enabled yes` on free loopback ports in a temp
 * directory, joins them with `redis-cli --cluster create` (no replicas) and waits for
 * `cluster_state:ok` on each. Throws with what to install when a binary is missing.
 */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'spane-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        await once(child, 'exit');
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
      await Promise.race([
        once(child, 'spawn'),
        once(child, 'error').then(([err]) => {
          throw new Error(
            `cannot start redis-server (${(err as Error).message}); install it: apt-get install -y redis-server`,
          );
        }),
      ]);
    }
    for (const port of ports) {
      await poll(async () => (await ask(port, 'PING')) === 'PONG', 10_000, `redis on ${port}`);
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    for (const port of ports) {
      await poll(
        async () => String(await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        20_000,
        `cluster_state:ok on ${port}`,
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    client: (options = {}) =>
      new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        {
          redisOptions: {
            maxRetriesPerRequest:
              options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
          },
        },
      ),
    stop,
  };
}

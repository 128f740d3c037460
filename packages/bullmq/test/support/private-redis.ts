import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** A Redis server of this test's own, on a free loopback port; tests may flush or stop it. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server this helper started (by its PID) and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGSTOPs the server: connections stay open, nothing is answered (a stalled Redis). */
  freeze(): void;
  /** SIGCONTs a frozen server. */
  thaw(): void;
}

/**
 * Starts `redis-server` on a free port (or on `port`: to start one again after `stop`)
 * with no persistence, and `args` after the defaults (e.g. `['--rename-command', 'CONFIG',
 * '']`). Throws with what to install when the binary is missing, so the test fails with a
 * clear message instead of skipping.
 */
export async function startPrivateRedis(
  options: { port?: number; args?: string[] } = {},
): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      ...(options.args ?? []),
    ],
    { stdio: 'ignore' },
  );
  const spawned = await Promise.race([
    once(child, 'spawn').then(() => true),
    once(child, 'error').then(([err]) => {
      throw new Error(
        `cannot start redis-server for this test (${(err as Error).message}); install it: apt-get install -y redis-server`,
      );
    }),
  ]);
  if (!spawned) throw new Error('redis-server did not start');
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') {
        probe.disconnect();
        break;
      }
    } catch {
      probe.disconnect();
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`private redis-server on port ${port} did not answer`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    freeze() {
      child.kill('SIGSTOP');
    },
    thaw() {
      child.kill('SIGCONT');
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

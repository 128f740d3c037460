import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';

/** `src/main.ts` as `pnpm start` runs it: a real process, real signals. */
const cwd = fileURLToPath(new URL('..', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `spane-main-test-${randomUUID().slice(0, 8)}`;

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@spane/source', 'src/main.ts'],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
});

it('exits with status 2 and every problem when the environment is invalid', async () => {
  const { output, exit } = run({ PORT: 'x', SPANE_ROLE: 'nope' });
  expect(await exit).toBe(2);
  expect(output()).toContain('PORT must be an integer');
  expect(output()).toContain('SPANE_ROLE must be all, api or worker');
});

it('starts, serves, and shuts down gracefully on SIGTERM', async () => {
  const { child, output, exit } = run({
    PORT: '0',
    REDIS_URL,
    SPANE_REDIS_PREFIX: prefix,
    SPANE_API_KEYS: 'main-process-key-000001:default:admin',
    LOG_LEVEL: 'info',
  });
  const deadline = Date.now() + 25_000;
  while (!output().includes('spane server started')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output())![1]!;
  expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(output()).toContain('"signal":"SIGTERM"');
}, 40_000);

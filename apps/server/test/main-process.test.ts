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

/** Starts `src/main.ts` with an admin key and waits for its listening URL. */
async function startReal(): Promise<{ url: string; key: string } & ReturnType<typeof run>> {
  const key = 'main-process-key-000001';
  const proc = run({
    PORT: '0',
    REDIS_URL,
    SPANE_REDIS_PREFIX: prefix,
    SPANE_API_KEYS: `${key}:default:admin`,
    LOG_LEVEL: 'info',
  });
  const deadline = Date.now() + 25_000;
  while (!proc.output().includes('spane server started')) {
    if (Date.now() > deadline || proc.child.exitCode !== null) {
      throw new Error(`did not start:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())![1]!;
  return { ...proc, url, key };
}

it('starts, serves, and shuts down gracefully on SIGTERM', async () => {
  const { child, output, exit, url } = await startReal();
  expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect(output()).toContain('"signal":"SIGTERM"');
}, 40_000);

it('runs a workflow end to end over HTTP: register, execute, stream its events, read the result', async () => {
  const { child, exit, url, key } = await startReal();
  try {
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const registered = await fetch(`${url}/api/workflows`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        id: 'orders',
        name: 'Route an order',
        nodes: [
          {
            id: 'shape',
            type: 'transform',
            config: {
              pick: ['order.status', 'customer.name'],
              rename: { 'customer.name': 'name' },
            },
          },
          {
            id: 'route',
            type: 'switch',
            inputs: ['shape'],
            config: { path: 'input.order.status', cases: { paid: ['ship'] }, default: ['review'] },
          },
          { id: 'ship', type: 'noop', inputs: ['route'] },
          { id: 'review', type: 'noop', inputs: ['route'] },
        ],
      }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const started = await fetch(`${url}/api/workflows/orders/execute`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        initialData: { order: { id: 1, status: 'paid' }, customer: { name: 'Ada' } },
      }),
    });
    expect(started.status).toBe(202);
    const { executionId } = (await started.json()) as { executionId: string };

    // The event stream: the state first, then live events, closed when the run ends.
    const stream = await fetch(`${url}/api/executions/${executionId}/events`, { headers });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const text = await stream.text();
    expect(text).toContain('event: state');
    expect(text).toMatch(/workflow:completed|"status":"completed"/);

    const result = await fetch(`${url}/api/executions/${executionId}`, { headers });
    const state = (await result.json()) as {
      status: string;
      nodeResults: Record<string, { status: string; skipReason?: string; data?: unknown }>;
    };
    expect(state.status).toBe('completed');
    expect(state.nodeResults.ship).toMatchObject({
      status: 'completed',
      data: { order: { status: 'paid' }, name: 'Ada' },
    });
    expect(state.nodeResults.review).toMatchObject({
      status: 'skipped',
      skipReason: 'not-selected',
    });
  } finally {
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }
}, 60_000);

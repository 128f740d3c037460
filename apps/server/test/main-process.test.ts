import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { cleanEnv, deletePrefix, logLines, spawnProc } from './support/processes.js';

/** `src/main.ts` as a real process (real signals), run from its sources through tsx. */
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `spane-main-test-${randomUUID().slice(0, 8)}`;
const dirs: string[] = [];

function run(env: Record<string, string>, cwd = fileURLToPath(new URL('..', import.meta.url))) {
  return spawnProc(process.execPath, ['--import', TSX, '--conditions=@spane/source', MAIN], {
    cwd,
    env: cleanEnv(env),
  });
}

afterAll(async () => {
  await deletePrefix(REDIS_URL, prefix);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
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

/** Listens on a free port of 127.0.0.1 and keeps it, as another program would. */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

it('says in one line, without a stack, that the port is in use, and exits with status 1', async () => {
  const { server, port } = await holdPort();
  try {
    const { output, exit } = run({
      PORT: String(port),
      REDIS_URL,
      SPANE_REDIS_PREFIX: prefix,
      SPANE_API_KEYS: 'main-process-key-000001:default:admin',
      LOG_LEVEL: 'info',
    });
    expect(await exit).toBe(1);
    const text = output()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('{'));
    expect(text).toEqual([
      `spane server: port ${port} is in use on 127.0.0.1: set PORT to another port (e.g. PORT=${port + 1} npm start)`,
    ]);
    expect(output()).not.toMatch(/^\s+at /m);
    // It never got as far as starting workers.
    expect(logLines(output()).map((l) => l.msg)).not.toContain('spane server started');
  } finally {
    server.close();
  }
});

it('resolves SPANE_NODES and SPANE_API_KEYS_FILE from its working directory (not INIT_CWD)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spane-main-cwd-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'spane-main-elsewhere-'));
  dirs.push(dir, elsewhere);
  writeFileSync(
    join(dir, 'nodes.mjs'),
    "export default (registry) => { registry.register('greet', { execute: async () => ({ success: true, data: 'hi' }) }); };\n",
  );
  writeFileSync(join(dir, 'keys.txt'), 'main-process-file-key-01:default:admin\n');
  const proc = run(
    {
      PORT: '0',
      REDIS_URL,
      SPANE_REDIS_PREFIX: prefix,
      SPANE_NODES: './nodes.mjs',
      SPANE_API_KEYS_FILE: 'keys.txt',
      // A stale INIT_CWD (this process was not started by npm here) must not be used.
      INIT_CWD: elsewhere,
      LOG_LEVEL: 'info',
    },
    dir,
  );
  try {
    const deadline = Date.now() + 25_000;
    while (!proc.output().includes('spane server started')) {
      if (Date.now() > deadline || proc.child.exitCode !== null) {
        throw new Error(`did not start:\n${proc.output()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(logLines(proc.output()).find((l) => l.msg === 'node types loaded')).toMatchObject({
      module: join(dir, 'nodes.mjs'),
      types: ['greet'],
    });
    const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())![1]!;
    const res = await fetch(`${url}/api/workflows`, {
      headers: { authorization: 'Bearer main-process-file-key-01' },
    });
    expect(res.status).toBe(200);
  } finally {
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  }
});

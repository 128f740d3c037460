import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeStack } from '../src/stack-paths.js';
import {
  bearer,
  createHttpHarness,
  type HttpHarness,
  KEYS,
  until,
  wf,
} from './support/http-harness.js';

/**
 * What a failed node shows, by scope: the error message to every reader; its stack trace
 * (file paths and dependency versions) only to `admin` keys, and without the absolute
 * paths of the server.
 */

let h: HttpHarness;
let executionId = '';
const cwd = process.cwd();

beforeAll(async () => {
  h = await createHttpHarness();
  const reg = await h.app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: bearer(KEYS.adminA),
    payload: wf('throws', [{ id: 'boom', type: 'throw' }]),
  });
  expect(reg.statusCode, reg.body).toBe(201);
  const run = await h.app.inject({
    method: 'POST',
    url: '/api/workflows/throws/execute',
    headers: bearer(KEYS.adminA),
  });
  executionId = run.json().executionId;
  await h.waitForExecution(executionId);
  // The DLQ item is written before the execution fails; wait for it all the same.
  await until(async () => {
    const res = await h.app.inject({ url: '/api/dlq', headers: bearer(KEYS.adminA) });
    return res.json().items.length > 0;
  });
});
afterAll(async () => {
  await h?.close();
});

async function dlqAs(key: string) {
  const res = await h.app.inject({ url: '/api/dlq', headers: bearer(key) });
  expect(res.statusCode, res.body).toBe(200);
  const items = res.json().items as Record<string, unknown>[];
  expect(items).toHaveLength(1);
  return { item: items[0]!, body: res.body };
}

describe('GET /api/dlq', () => {
  it('shows a read key the error message and no stack', async () => {
    const { item, body } = await dlqAs(KEYS.readA);
    expect(item).toMatchObject({ executionId, nodeId: 'boom', error: 'kaboom' });
    expect(item).not.toHaveProperty('stack');
    expect(body).not.toContain(cwd);
    expect(body).not.toContain('node_modules');
  });

  it('shows an admin key the stack, with every path relative to the working directory', async () => {
    const { item, body } = await dlqAs(KEYS.adminA);
    expect(item.error).toBe('kaboom');
    const stack = item.stack as string;
    expect(stack).toMatch(/^Error: kaboom\n/);
    // The executor's own frame, relative to the package the tests run in.
    expect(stack).toContain('test/support/http-harness.ts');
    expect(stack).not.toMatch(/\(\/|at \/|file:\/\//);
    expect(body).not.toContain(cwd);
  });
});

describe('GET /api/executions/:id', () => {
  it('shows node errors as a message, without a stack, to a read key', async () => {
    const res = await h.app.inject({
      url: `/api/executions/${executionId}`,
      headers: bearer(KEYS.readA),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().nodeResults.boom).toMatchObject({ status: 'failed', error: 'kaboom' });
    expect(res.body).not.toContain(cwd);
    expect(res.body).not.toMatch(/\n\s+at /);
  });
});

describe('relativeStack', () => {
  it.each([
    [
      'a path under the root',
      'Error: x\n    at run (/srv/app/dist/a.js:1:2)',
      'Error: x\n    at run (dist/a.js:1:2)',
    ],
    [
      'a file URL under the root',
      'Error: x\n    at file:///srv/app/dist/a.js:1:2',
      'Error: x\n    at dist/a.js:1:2',
    ],
    [
      'a dependency outside the root (another machine)',
      'Error: x\n    at q (/opt/other/node_modules/.pnpm/bullmq@5.1.0/node_modules/bullmq/dist/w.js:9:9)',
      'Error: x\n    at q (node_modules/.pnpm/bullmq@5.1.0/node_modules/bullmq/dist/w.js:9:9)',
    ],
    [
      'a path outside the root',
      'Error: x\n    at f (/srv/lib/x.js:3:4)',
      'Error: x\n    at f (../lib/x.js:3:4)',
    ],
    [
      'a Windows path',
      'Error: x\n    at q (C:\\srv\\app\\dist\\a.js:1:2)',
      'Error: x\n    at q (C:\\srv\\app\\dist\\a.js:1:2)',
    ],
    [
      'a Windows dependency',
      'Error: x\n    at q (D:\\b\\node_modules\\dep\\i.js:1:2)',
      'Error: x\n    at q (node_modules\\dep\\i.js:1:2)',
    ],
    [
      'node internals and relative paths',
      'at node:internal/x:1:2 a/b.js',
      'at node:internal/x:1:2 a/b.js',
    ],
  ])('%s', (_name, stack, expected) => {
    expect(relativeStack(stack, '/srv/app')).toBe(expected);
  });

  it('takes linear time on a long message without spaces', () => {
    const long = `Error: ${'/a'.repeat(200_000)}`;
    const started = Date.now();
    expect(relativeStack(long, '/srv/app')).toMatch(/^Error: \.\.\/\.\.\/a\/a/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs src/main.ts as `pnpm start` does (tsx, source conditions); kills it after `deadlineMs`. */
function runExample(
  env: Record<string, string> = {},
  deadlineMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@spane/source', '--import', 'tsx', 'src/main.ts'],
      { cwd: exampleDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the example did not exit within ${deadlineMs} ms:\n${output}`));
    }, deadlineMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// The quick start has no Redis client of its own: this test gives it a prefix and deletes
// that prefix's keys afterwards.
const prefix = `spane-example-data-passing-${randomUUID().slice(0, 8)}`;
afterAll(async () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
});

it('passes outputs down the chain and merges both parents at the join', async () => {
  const { code, output } = await runExample({ SPANE_PREFIX: prefix });
  expect(code, output).toBe(0);
  expect(output).toContain('node load got {"orderId":"o-1"} from the initial data');
  expect(output).toContain('node total got {"orderId":"o-1","prices":[120,80]} from load');
  expect(output).toContain('node count got {"orderId":"o-1","prices":[120,80]} from load');
  expect(output).toMatch(
    /node summary got \{"total":\{"total":200\},"count":\{"items":2\}\} from (total \+ count|count \+ total)/,
  );
  expect(output).toContain('execution completed, summary = {"total":200,"items":2}');
  expect(output).toMatch(/^OK: /m);
}, 90_000);

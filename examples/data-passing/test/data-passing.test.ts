import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { deleteKeys, runExampleProcess } from '@spane-examples/kit';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

// The quick start has no Redis client of its own: this test gives it a prefix and deletes
// that prefix's keys afterwards.
const prefix = `spane-example-data-passing-${randomUUID().slice(0, 8)}`;
afterAll(async () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
});

it('passes outputs down the chain and merges both parents at the join', async () => {
  const { code, output } = await runExampleProcess(exampleDir, { SPANE_PREFIX: prefix });
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

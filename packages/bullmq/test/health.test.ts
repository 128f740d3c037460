import { afterEach, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/engine-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('checkHealth reports Redis, the store and this process’s workers', async () => {
  h = await createHarness();
  expect(await h.engine.checkHealth()).toEqual({
    ok: true,
    redis: true,
    store: true,
    workers: null,
  });
  await h.engine.startWorkers(1);
  expect(await h.engine.checkHealth()).toEqual({
    ok: true,
    redis: true,
    store: true,
    workers: true,
  });
  await h.engine.close();
  const after = await h.engine.checkHealth();
  expect(after.workers).toBe(false);
  expect(after.ok).toBe(false);
});

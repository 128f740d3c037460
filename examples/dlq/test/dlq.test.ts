import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('retries with backoff, dead-letters the node, and completes after the DLQ retry', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain('engine: retrying charge in 100 ms (attempt 1 failed)');
  expect(output).toContain('engine: retrying charge in 200 ms (attempt 2 failed)');
  expect(output).toContain("execution failed: Node 'charge' failed: payment gateway unavailable");
  expect(output).toMatch(/DLQ item \S+: node charge of \S+, 3 attempts/);
  expect(output).toContain('charge attempt 4: charged 42');
  expect(output).toContain('execution completed, receipt = {"sentFor":"ch-o-7"}');
  expect(output).toMatch(/^OK: /m);
}, 90_000);

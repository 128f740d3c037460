import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('keeps the workflow at 2 running nodes and send-sms at 2 starts per 500 ms', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain('both completed and completed; at most 2 ran at once');
  expect(output).not.toContain('(3 running)');
  expect(output).toMatch(/sms starts at (\d+ ms, ){5}\d+ ms/);
  expect(output).toMatch(/^OK: /m);
}, 90_000);

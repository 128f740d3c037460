import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('ships the approved order, rejects the refused one and the one nobody answered', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain('all three approval nodes wait (status delayed)');
  expect(output).toContain("Signal 'approval' of execution");
  expect(output).toContain('was already received');
  expect(output).toContain(
    'o-3 timed out after 1.5 s: {"shipped":false,"timedOut":true,"why":"no answer in time"}',
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('pauses and resumes, cancels a running node through its signal, and times a node out', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toContain(
    'after a later execution ran: status paused, test queued, publish pending',
  );
  expect(output).toMatch(/resuming\n\s+execution completed/);
  expect(output).toContain('download: signal aborted (AbortError), stopping');
  expect(output).toMatch(/status cancelled, download cancelled, upload cancelled/);
  expect(output).toContain("execution failed: Node 'call-api' timed out after 200 ms");
  expect(output).toMatch(/^OK: /m);
}, 90_000);

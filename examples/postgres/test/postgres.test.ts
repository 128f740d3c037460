import { fileURLToPath } from 'node:url';
import { runExampleProcess } from '@spane-examples/kit';
import { expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

it('completes an execution on Postgres after its engine process is killed mid-node', async () => {
  const { code, output } = await runExampleProcess(exampleDir);
  expect(code, output).toBe(0);
  expect(output).toMatch(/2\. kill engine process 1 \(pid \d+\) with SIGKILL while render runs/);
  expect(output).toContain('in Postgres: execution running; collect completed, render running');
  expect(output).toMatch(/\[engine 2, pid (\d+)\] render started \(attempt 2\) in process \1/);
  expect(output).toMatch(/execution completed: publish = \{.*"pages":12/);
  expect(output).toMatch(/dropped schema spane_example_\w+/);
  expect(output).toMatch(/^OK: /m);
}, 90_000);

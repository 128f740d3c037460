import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

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

it('completes an execution on Postgres after its engine process is killed mid-node', async () => {
  const { code, output } = await runExample();
  expect(code, output).toBe(0);
  expect(output).toMatch(/2\. kill engine process 1 \(pid \d+\) with SIGKILL while render runs/);
  expect(output).toContain('in Postgres: execution running; collect completed, render running');
  expect(output).toMatch(/\[engine 2, pid (\d+)\] render started \(attempt 1\) in process \1/);
  expect(output).toMatch(/execution completed: publish = \{.*"pages":12/);
  expect(output).toMatch(/dropped schema spane_example_\w+/);
  expect(output).toMatch(/^OK: /m);
}, 90_000);

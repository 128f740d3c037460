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

it('retries with backoff, dead-letters the node, and completes after the DLQ retry', async () => {
  const { code, output } = await runExample();
  expect(code, output).toBe(0);
  expect(output).toContain('engine: retrying charge in 100 ms (attempt 1 failed)');
  expect(output).toContain('engine: retrying charge in 200 ms (attempt 2 failed)');
  expect(output).toContain("execution failed: Node 'charge' failed: payment gateway unavailable");
  expect(output).toMatch(/DLQ item \S+: node charge of \S+, 3 attempts/);
  expect(output).toContain('charge attempt 4: charged 42');
  expect(output).toContain('execution completed, receipt = {"sentFor":"ch-o-7"}');
  expect(output).toMatch(/^OK: /m);
}, 90_000);

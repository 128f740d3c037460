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

it('pauses and resumes, cancels a running node through its signal, and times a node out', async () => {
  const { code, output } = await runExample();
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

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

it('maps data through two levels of sub-workflows and propagates a grandchild failure', async () => {
  const { code, output } = await runExample();
  expect(code, output).toBe(0);
  expect(output).toContain('[depth 2] credit-score/ask-bureau got {"customerId":"c-42"}');
  expect(output).toContain(
    'onboarding completed; enrich\'s output: {"customerScore":712,"tier":"gold"}',
  );
  expect(output).toContain('welcome: {"message":"Welcome, gold customer (score 712)"}');
  expect(output).toContain("credit-score failed: Node 'ask-bureau' failed: no credit record");
  expect(output).toMatch(
    /onboarding failed: Node 'enrich' failed: sub-workflow 'enrich-customer' \(execution \S+\) failed: Node 'score' failed: sub-workflow 'credit-score'/,
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

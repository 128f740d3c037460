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

it('shows the events, logs, spans and a replay from a node', async () => {
  const { code, output } = await runExample();
  expect(code, output).toBe(0);
  expect(output).toContain('event node:retrying transform (attempt 1): lookup table cold');
  expect(output).toContain('warn  transform: lookup table not warm yet {"attempt":1}');
  expect(output).toContain('span transform attempt 1: error');
  expect(output).toMatch(/span transform attempt 2: ok/);
  expect(output).toMatch(/"replayedFromNode":"transform","reusedNodes":\["extract"\]/);
  expect(output).toContain(
    'executor calls during the replay: {"extract":0,"transform":1,"load":1}',
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

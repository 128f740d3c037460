import { spawn } from 'node:child_process';

/** What an example printed and how it exited. */
export interface ExampleProcessResult {
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
}

/**
 * Runs an example's `src/main.ts` as `pnpm start` does (tsx, the `@spane/source`
 * condition) in `exampleDir`; kills it and rejects after `deadlineMs`. For the examples'
 * tests.
 */
export function runExampleProcess(
  exampleDir: string,
  env: Record<string, string> = {},
  deadlineMs = 60_000,
): Promise<ExampleProcessResult> {
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

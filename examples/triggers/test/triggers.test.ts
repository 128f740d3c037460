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

it('starts workflows from a signed webhook, a cron schedule and an event', async () => {
  const { code, output } = await runExample();
  expect(code, output).toBe(0);
  expect(output).toContain(
    'execution completed, trigger {"type":"webhook","method":"POST","path":"shop/orders","deliveryId":"delivery-1"}',
  );
  expect(output).toContain('the same signature on a changed body: InvalidSignatureError');
  expect(output).toContain('the same delivery sent again: DuplicateDeliveryError');
  expect(output).toContain('heartbeat/check-health got {"beat":true}');
  expect(output).toMatch(/execution completed, trigger \{"type":"schedule",/);
  expect(output).toContain(
    'execution completed, trigger {"type":"event","event":"user.signed-up"}',
  );
  expect(output).toMatch(/^OK: /m);
}, 90_000);

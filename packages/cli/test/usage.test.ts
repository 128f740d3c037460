import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closedPort, REPO_ROOT, runCli } from './support/cli-harness.js';

// No server here: these runs must end before any request, or find nothing listening.
const env = { SPANE_API_KEY: 'cli-test-admin-key-000001' };

describe('spane usage', () => {
  it('--help prints every command on stdout, exit 0', async () => {
    const result = await runCli(['--help'], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const command of [
      'workflows list',
      'workflows get <id>',
      'workflows register <file>',
      'run <workflowId>',
      'executions get <id>',
      'executions cancel <id>',
      'executions retry-dlq <dlqItemId>',
      'signal <executionId> <name>',
      'explain <executionId>',
      'dlq list',
      'secrets set <name>',
      'secrets list',
      'secrets rm <name>',
    ]) {
      expect(result.stdout).toContain(`  ${command}  `);
    }
    expect(result.stdout).toContain('SPANE_API_KEY');
  });

  it('prints the help of a group and of a command', async () => {
    const group = await runCli(['workflows', '--help'], { env });
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/^spane workflows: /);
    expect(group.stdout).toContain('  workflows register <file>  Register');

    const command = await runCli(['run', '--help'], { env });
    expect(command.code).toBe(0);
    expect(command.stdout).toMatch(/^Usage: spane run <workflowId> \[options\]\n/);
    expect(command.stdout).toMatch(/--data-file <path> +initial data from a JSON file/);

    const viaHelp = await runCli(['help', 'executions', 'cancel'], { env });
    expect(viaHelp.stdout).toMatch(/^Usage: spane executions cancel <id>\n/);
  });

  it('--version prints the package version', async () => {
    const result = await runCli(['--version'], { env });
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8'));
    expect(result).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it.each([
    [[], /^spane: no command given\n\nspane: the command line/],
    [['deploy'], /^spane: unknown command 'deploy'\n\nspane: the command line/],
    [['workflows'], /^spane: 'workflows' needs a command\n\nspane workflows: /],
    [['workflows', 'remove', 'x'], /^spane: unknown command 'workflows remove'\n/],
    [['workflows', 'get'], /^spane: missing <id>\n\nUsage: spane workflows get <id>/],
    [
      ['workflows', 'get', 'a', 'b'],
      /^spane: unexpected argument 'b'\n\nUsage: spane workflows get/,
    ],
    [
      ['workflows', 'list', '--bogus'],
      /^spane: Unknown option '--bogus'.*\n\nUsage: spane workflows list/,
    ],
    [['run', 'wf', '--timeout', '5'], /^spane: --timeout needs --wait\n\nUsage: spane run/],
    [
      ['run', 'wf', '--wait', '--timeout', 'soon'],
      /^spane: --timeout must be a positive number, not 'soon'\n\nUsage: spane run/,
    ],
    [
      ['run', 'wf', '--data', '{}', '--data-file', 'x.json'],
      /^spane: give --data or --data-file, not both\n/,
    ],
    [
      ['run', 'wf', '--url', 'ftp://example'],
      /^spane: 'ftp:\/\/example' is not an http:\/\/ or https:\/\/ URL/,
    ],
  ])('bad usage %j prints the help on stderr and exits 2', async (args, message) => {
    const result = await runCli(args, { env: { ...env, SPANE_URL: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('names the URL when the server cannot be reached, exit 3', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const viaEnv = await runCli(['workflows', 'list'], { env: { ...env, SPANE_URL: url } });
    expect(viaEnv.code).toBe(3);
    expect(viaEnv.stdout).toBe('');
    expect(viaEnv.stderr).toBe(
      `spane: cannot reach the SPANE server at ${url} (ECONNREFUSED); is the server running? (set SPANE_URL or --url)\n`,
    );

    const viaFlag = await runCli(['--url', url, 'run', 'wf', '--wait'], {
      env: { ...env, SPANE_URL: 'http://127.0.0.1:9' },
    });
    expect(viaFlag.code).toBe(3);
    expect(viaFlag.stderr).toContain(`cannot reach the SPANE server at ${url} (ECONNREFUSED)`);
  });
});

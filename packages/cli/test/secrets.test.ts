import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  type CliOptions,
  runCli,
  startTestServer,
  type TestServer,
} from './support/cli-harness.js';

/** `spane secrets set|list|rm` against a real server (memory store, its own master key). */

const VALUE = 'tok_live_cli-value-3e9d';
let server: TestServer;
let env: CliOptions['env'];

beforeAll(async () => {
  server = await startTestServer();
  env = { SPANE_URL: server.url, SPANE_API_KEY: API_KEY };
});
afterAll(() => server?.stop());

const reveal = (name: string) => server.server.secrets!.reveal('default', name);

describe('spane secrets set', () => {
  it('reads the value from stdin without its trailing line break; never prints it', async () => {
    const created = await runCli(['secrets', 'set', 'crm-token'], { env, input: `${VALUE}\n` });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('created secret crm-token\n');
    expect(await reveal('crm-token')).toBe(VALUE);

    const replaced = await runCli(['secrets', 'set', 'crm-token', '--json'], {
      env,
      input: `${VALUE}-2`,
    });
    expect(replaced.code).toBe(0);
    const info = JSON.parse(replaced.stdout);
    expect(info).toMatchObject({ name: 'crm-token', created: false, dataKeyVersion: 1 });
    expect(replaced.stdout).not.toContain(VALUE);
    expect(await reveal('crm-token')).toBe(`${VALUE}-2`);
  });

  it('keeps a multi-line value (a PEM key) as it is, but for the last line break', async () => {
    const pem = '-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----';
    const result = await runCli(['secrets', 'set', 'tls-key'], { env, input: `${pem}\n` });
    expect(result.code).toBe(0);
    expect(await reveal('tls-key')).toBe(pem);
  });

  it('takes --value with a warning about shell history', async () => {
    const result = await runCli(['secrets', 'set', 'flagged', '--value', VALUE], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^spane: warning: --value leaves the secret in your shell history/,
    );
    expect(result.stdout).toBe('created secret flagged\n');
    expect(await reveal('flagged')).toBe(VALUE);
  });

  it('refuses an empty stdin with exit 2 and sends nothing', async () => {
    const result = await runCli(['secrets', 'set', 'empty'], { env, input: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^spane: no value on stdin/);
    expect(await reveal('empty')).toBeNull();
  });

  it('reports a bad name as the API refuses it, with exit 1', async () => {
    const result = await runCli(['secrets', 'set', 'bad name'], { env, input: VALUE });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^spane: BAD_REQUEST: /);
    expect(result.stderr).not.toContain(VALUE);
  });
});

describe('spane secrets list and rm', () => {
  it('lists names and dates, never values, as a table and as JSON', async () => {
    const table = await runCli(['secrets', 'list'], { env });
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+UPDATED\s+CREATED$/);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['crm-token', 'flagged', 'tls-key']);
    expect(rows[0]).toMatch(/^crm-token\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d{4}-/);
    expect(table.stdout).not.toContain(VALUE);

    const json = await runCli(['secrets', 'list', '--json'], { env });
    const items = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(items.map((s) => s.name)).toEqual(['crm-token', 'flagged', 'tls-key']);
    expect(Object.keys(items[0]!).sort()).toEqual([
      'createdAt',
      'dataKeyVersion',
      'name',
      'updatedAt',
    ]);
  });

  it('deletes a secret, then says it is not there with exit 1', async () => {
    const removed = await runCli(['secrets', 'rm', 'flagged'], { env });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe('deleted secret flagged\n');
    expect(await reveal('flagged')).toBeNull();

    const again = await runCli(['secrets', 'rm', 'flagged'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("spane: SECRET_NOT_FOUND: No secret named 'flagged'\n");
  });

  it('needs a name (exit 2 with the help)', async () => {
    const result = await runCli(['secrets', 'rm'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing <name>');
    expect(result.stderr).toContain('Usage: spane secrets rm <name>');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  type CliOptions,
  runCli,
  startTestServer,
  type TestServer,
} from './support/cli-harness.js';

let server: TestServer;
let env: CliOptions['env'];

beforeAll(async () => {
  server = await startTestServer();
  env = { SPANE_URL: server.url, SPANE_API_KEY: API_KEY };
});
afterAll(() => server?.stop());

describe('spane keys', () => {
  it('creates a key for a tenant (printed once), lists it without the key, and revokes it', async () => {
    const created = await runCli(
      [
        'keys',
        'create',
        '--tenant',
        'acme',
        '--scopes',
        'read,execute',
        '--expires',
        '30d',
        '--name',
        'ci',
      ],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^spane_[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toBe(`${key}\n`);
    expect(created.stderr).toMatch(
      /^created API key key_\S+ for tenant acme: read,execute, expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n/,
    );
    expect(created.stderr).toContain('cannot be shown again');
    const id = /created API key (key_\S+) /.exec(created.stderr)![1]!;

    // The key works, in tenant acme, with its scopes.
    const asKey = { SPANE_URL: server.url, SPANE_API_KEY: key };
    const workflows = await runCli(['workflows', 'list'], { env: asKey });
    expect(workflows.code, workflows.stderr).toBe(0);
    const forbidden = await runCli(['keys', 'list'], { env: asKey });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('FORBIDDEN');

    const listed = await runCli(['keys', 'list', '--tenant', 'acme'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+PREFIX\s+NAME\s+SCOPES\s+CREATED\s+EXPIRES\s+STATUS\n/);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain(key.slice(0, 12));
    expect(listed.stdout).toMatch(/read,execute\s.*\sactive\n/);
    expect(listed.stdout).not.toContain(key);
    const json = await runCli(['keys', 'list', '--tenant', 'acme', '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id, tenantId: 'acme', name: 'ci', expired: false }),
    ]);
    expect(json.stdout).not.toContain(key);

    const revoked = await runCli(['keys', 'revoke', id, '--tenant', 'acme'], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`revoked ${id}\n`);
    const refused = await runCli(['workflows', 'list'], { env: asKey });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('UNAUTHORIZED');
    const again = await runCli(['keys', 'rm', id, '--tenant', 'acme'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('API_KEY_NOT_FOUND');
    const after = await runCli(['keys', 'list', '--tenant', 'acme'], { env });
    expect(after.stdout).toMatch(/revoked \d{4}-/);
  });

  it('prints the whole answer with --json, and rm revokes in the caller tenant', async () => {
    const created = await runCli(['keys', 'create', '--scopes', 'admin', '--json'], { env });
    expect(created.code, created.stderr).toBe(0);
    const answer = JSON.parse(created.stdout);
    expect(answer).toMatchObject({ tenantId: 'default', scopes: ['admin'] });
    expect(answer.key).toMatch(/^spane_/);
    expect(answer.expiresAt).toBeUndefined();
    const removed = await runCli(['keys', 'rm', answer.id, '--json'], { env });
    expect(JSON.parse(removed.stdout)).toEqual({ id: answer.id, revoked: true });
  });

  it.each([
    [['keys', 'create'], 'missing --scopes'],
    [['keys', 'create', '--scopes', 'read,root'], "unknown scope 'root'"],
    [['keys', 'create', '--scopes', 'read', '--expires', '30'], '--expires must be'],
    [['keys', 'revoke'], 'missing <id>'],
  ])('refuses %j with a usage error', async (args, message) => {
    const result = await runCli(args, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('reports a lifetime over the limit as the server refuses it', async () => {
    const result = await runCli(['keys', 'create', '--scopes', 'read', '--expires', '800d'], {
      env,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('BAD_REQUEST');
    expect(result.stderr).toContain('730 days');
  });
});

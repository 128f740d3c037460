import { randomBytes, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretVault } from '@spane/core';
import { InMemoryExecutionStore } from '@spane/store-memory';
import Fastify from 'fastify';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type RunningServer, startServer } from '../src/index.js';
import { createSecretVault, readOrCreateKeyFile } from '../src/master-key.js';
import { deletePrefix } from './support/processes.js';
import { REDIS_URL } from './support/test-config.js';

/**
 * The server's master key: from `SPANE_MASTER_KEY`, else (PostgreSQL) a key file made once
 * with mode 0600 and read at the next start, else (memory store) a random key per process;
 * `/api/secrets` works with it, and a rotation re-wraps the data keys of older master keys.
 */

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'server-secrets-admin-0001';
const VALUE = 'value-that-must-not-be-logged-91c2';
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix);
});

/** Starts a server (role api: no workers) capturing its JSON log lines. */
async function start(env: Record<string, string>, cwd = process.cwd()) {
  const prefix = `spane-secrets-test-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const lines: Record<string, any>[] = [];
  const config = loadConfig(
    {
      PORT: '0',
      REDIS_URL,
      SPANE_REDIS_PREFIX: prefix,
      SPANE_API_KEYS: `${KEY}:default:admin`,
      SPANE_ROLE: 'api',
      LOG_LEVEL: 'trace',
      ...env,
    },
    cwd,
  );
  const server = await startServer(config, {
    logStream: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { server, lines };
}

async function putSecret(server: RunningServer, name: string, value: string) {
  const res = await fetch(`${server.url}/api/secrets/${name}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const messages = (lines: Record<string, any>[]) => lines.map((l) => String(l.msg));

describe('memory store', () => {
  it('without a configured key: a random key for the process, and /api/secrets works', async () => {
    const { server, lines } = await start({});
    try {
      const saved = await putSecret(server, 'crm-token', VALUE);
      expect(saved.status).toBe(201);
      expect(saved.json).toMatchObject({ name: 'crm-token', dataKeyVersion: 1 });
      expect(messages(lines)).toContain(
        'secrets: random master key for this process (memory store: secrets end with it)',
      );
      expect(JSON.stringify(lines)).not.toContain(VALUE);
    } finally {
      await server.close();
    }
  });

  it('with SPANE_MASTER_KEY: says so in one line, naming the key id and never the key', async () => {
    const hex = randomBytes(32).toString('hex');
    const { server, lines } = await start({ SPANE_MASTER_KEY: `k7:${hex}` });
    try {
      expect((await putSecret(server, 'a', VALUE)).status).toBe(201);
      const line = lines.find((l) => l.msg === 'secrets: master key from the environment');
      expect(line).toMatchObject({ from: 'SPANE_MASTER_KEY', current: 'k7', keys: 1 });
      expect(JSON.stringify(lines)).not.toContain(hex);
    } finally {
      await server.close();
    }
  });
});

describe('PostgreSQL store without a configured key', () => {
  it('creates .spane/master.key (0600, directory 0700) once and reads it at the next start', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spane-master-key-'));
    const file = join(cwd, '.spane/master.key');
    const schema = `spane_secrets_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const env = { DATABASE_URL, DATABASE_SCHEMA: schema };
    try {
      const first = await start(env, cwd);
      await first.server.close();
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(cwd, '.spane')).mode & 0o777).toBe(0o700);
      const created = first.lines.find((l) => String(l.msg).includes('generated a master key'));
      expect(created).toMatchObject({ path: file });
      const content = readFileSync(file, 'utf8');
      expect(content).toMatch(/^v1:[A-Za-z0-9+/]{43}=\n$/);
      expect(JSON.stringify(first.lines)).not.toContain(content.trim().slice(3));

      const second = await start(env, cwd);
      await second.server.close();
      expect(readFileSync(file, 'utf8')).toBe(content);
      expect(
        second.lines.find((l) => l.msg === 'secrets: master key from the key file'),
      ).toMatchObject({ path: file, mode: '600' });
      expect(messages(second.lines).some((m) => m.includes('generated'))).toBe(false);
    } finally {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});

describe('readOrCreateKeyFile', () => {
  it('creates once, then reads the same key, leaving no draft file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spane-key-file-'));
    const path = join(dir, 'nested/master.key');
    const first = readOrCreateKeyFile(path);
    const second = readOrCreateKeyFile(path);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.keys).toEqual(first.keys);
    expect(first.keys[0]!.key).toHaveLength(32);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['master.key']);
  });

  it('reads a key file someone else made, with several keys, the current first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spane-key-file-'));
    const path = join(dir, 'master.key');
    writeFileSync(path, `v2:${'cd'.repeat(32)}\nv1:${'ab'.repeat(32)}\n`, { mode: 0o600 });
    expect(readOrCreateKeyFile(path).keys.map((k) => k.id)).toEqual(['v2', 'v1']);
  });

  it('names the file, never the key, when it does not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spane-key-file-'));
    const path = join(dir, 'master.key');
    writeFileSync(path, `v1:${'ab'.repeat(31)}\n`);
    expect(() => readOrCreateKeyFile(path)).toThrow(
      new RegExp(`^master key file ${path}: master key #1 must be 32 bytes`),
    );
  });
});

describe('master key rotation at start', () => {
  it('re-wraps the data keys of the old master key and logs how many', async () => {
    const store = new InMemoryExecutionStore();
    const old = { id: 'v1', key: randomBytes(32) };
    const current = { id: 'v2', key: randomBytes(32) };
    const before = new SecretVault(store.secrets, { masterKeys: [old] });
    await before.set('tenant-a', 'x', VALUE);
    await before.set('tenant-b', 'y', VALUE);
    const lines: Record<string, any>[] = [];
    const app = Fastify({
      logger: { stream: { write: (l: string) => lines.push(JSON.parse(l)) } },
    });
    const { vault, rotation } = createSecretVault(store, [current, old], app.log);
    await rotation;
    expect(
      lines.find((l) => String(l.msg).startsWith('secrets: master key rotation done')),
    ).toMatchObject({ rewrapped: 2, current: 'v2' });
    // Only the new key is needed from now on.
    const after = new SecretVault(store.secrets, { masterKeys: [current] });
    expect(await after.reveal('tenant-a', 'x')).toBe(VALUE);
    expect(await vault!.reveal('tenant-b', 'y')).toBe(VALUE);
    await app.close();
  });

  it('logs a failed rotation and keeps going', async () => {
    const store = new InMemoryExecutionStore();
    const lost = { id: 'lost', key: randomBytes(32) };
    await new SecretVault(store.secrets, { masterKeys: [lost] }).set('t', 'x', VALUE);
    const lines: Record<string, any>[] = [];
    const app = Fastify({
      logger: { stream: { write: (l: string) => lines.push(JSON.parse(l)) } },
    });
    // The process has a current and an old key, but not the one that wrapped the data key.
    const keys = [
      { id: 'v2', key: randomBytes(32) },
      { id: 'v1', key: randomBytes(32) },
    ];
    const { rotation } = createSecretVault(store, keys, app.log);
    await expect(rotation).resolves.toBeUndefined();
    const failed = lines.find((l) =>
      String(l.msg).startsWith('secrets: master key rotation failed'),
    );
    expect(failed?.err?.message).toContain("master key 'lost'");
    await app.close();
  });
});

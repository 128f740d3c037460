import { createHash, randomBytes } from 'node:crypto';
import { InvalidArgumentError, type NewApiKeyRecord } from '@spane/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresExecutionStore } from '../src/index.js';
import {
  admin,
  createSchema,
  DATABASE_URL,
  dropSchema,
  schemaName,
  store,
  watchQueries,
} from './helpers.js';

// What the conformance suites (`secrets`, `api-keys`) cannot see: that this store has the
// parts (so those suites never skip here), how its statements reach the rows, and the
// values PostgreSQL refuses.

const schema = schemaName();

beforeAll(async () => {
  await createSchema(schema);
});

afterAll(async () => {
  await dropSchema(schema);
});

function newKey(tenantId: string, overrides: Partial<NewApiKeyRecord> = {}): NewApiKeyRecord {
  return {
    id: `key-${randomBytes(4).toString('hex')}`,
    tenantId,
    scopes: ['read'],
    hash: createHash('sha256').update(randomBytes(16)).digest('hex'),
    prefix: 'spk_abcd',
    ...overrides,
  };
}

/** Records the SQL texts sent on the pool's connections: call it with a store call. */
function statementRecorder(pool: pg.Pool): (call: () => Promise<unknown>) => Promise<string[]> {
  const texts: string[] = [];
  watchQueries(pool, (config) => {
    const text = typeof config === 'string' ? config : (config as { text?: string }).text;
    if (text) texts.push(text);
  });
  return async (call) => {
    texts.length = 0;
    await call();
    return [...texts];
  };
}

describe('store.secrets and store.apiKeys', () => {
  it('a PostgresExecutionStore has both, so the secrets and api-keys suites run on it', async () => {
    const s = store(schema);
    try {
      expect(s.secrets).toBeDefined();
      expect(s.apiKeys).toBeDefined();
      const tenant = `t-${randomBytes(4).toString('hex')}`;
      await s.secrets.putSecret({
        tenantId: tenant,
        name: 'x',
        dataKeyVersion: 1,
        ciphertext: 'Yw==',
      });
      expect((await s.secrets.listSecrets(tenant)).items.map((i) => i.name)).toEqual(['x']);
    } finally {
      await s.close();
    }
  });

  it("by-name and by-id calls are one statement naming the tenant: a foreign tenant's name costs what an unknown one does", async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const statementsOf = statementRecorder(pool);
    const s = new PostgresExecutionStore({ pool, schema });
    try {
      const [owner, other] = [
        `own-${randomBytes(4).toString('hex')}`,
        `oth-${randomBytes(4).toString('hex')}`,
      ];
      await s.secrets.putSecret({
        tenantId: owner,
        name: 'db',
        dataKeyVersion: 1,
        ciphertext: 'Yw==',
      });
      const key = await s.apiKeys.createApiKey(newKey(owner));
      const calls: [string, () => Promise<unknown>][] = [
        ['getSecret foreign', () => s.secrets.getSecret(other, 'db')],
        ['getSecret unknown', () => s.secrets.getSecret(owner, 'nope')],
        ['deleteSecret foreign', () => s.secrets.deleteSecret(other, 'db')],
        ['listSecrets foreign', () => s.secrets.listSecrets(other)],
        ['revokeApiKey foreign', () => s.apiKeys.revokeApiKey(key.id, other)],
        ['revokeApiKey unknown', () => s.apiKeys.revokeApiKey('key-unknown', owner)],
      ];
      for (const [what, call] of calls) {
        const sent = await statementsOf(call);
        expect(sent, what).toHaveLength(1);
        expect(sent[0], what).toContain(
          `tenant_id = '${what.endsWith('unknown') ? owner : other}'`,
        );
      }
      expect(await s.secrets.getSecret(owner, 'db')).not.toBeNull();
      expect((await s.apiKeys.findApiKeyByHash(key.hash))?.revokedAt).toBeUndefined();
    } finally {
      await s.close();
      await pool.end();
    }
  });

  it('secret reads use the primary key: no scan of other tenants, and listings need no sort', async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
    const statementsOf = statementRecorder(pool);
    const s = new PostgresExecutionStore({ pool, schema });
    const explainer = new pg.Client({
      connectionString: DATABASE_URL,
      options: `-c search_path="${schema}" -c plan_cache_mode=force_generic_plan -c enable_seqscan=off`,
    });
    await explainer.connect();
    try {
      const tenant = `t-${randomBytes(4).toString('hex')}`;
      for (const name of ['a', 'B', 'c']) {
        await s.secrets.putSecret({
          tenantId: tenant,
          name,
          dataKeyVersion: 1,
          ciphertext: 'Yw==',
        });
      }
      const [get] = await statementsOf(() => s.secrets.getSecret(tenant, 'a'));
      const [list] = await statementsOf(() =>
        s.secrets.listSecrets(tenant, { cursor: 'B', limit: 1 }),
      );
      for (const [what, text] of [
        ['getSecret', get!],
        ['listSecrets', list!],
      ] as const) {
        const { rows } = await explainer.query(`EXPLAIN (FORMAT JSON) ${text}`);
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        expect(plan, what).toContain('secrets_tenant_id_name_pk');
        expect(plan, what).not.toContain('"Sort"');
        expect(plan, what).not.toContain('Seq Scan');
      }
    } finally {
      await explainer.end();
      await s.close();
      await pool.end();
    }
  });

  it('secret names are compared byte by byte (collation C) whatever the database default', async () => {
    const { rows } = await admin<{ collation_name: string }>(
      `SELECT collation_name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'secrets' AND column_name = 'name'`,
      [schema],
    );
    expect(rows).toEqual([{ collation_name: 'C' }]);
  });

  it('values PostgreSQL cannot keep are InvalidArgumentError before anything is written', async () => {
    const s = store(schema);
    try {
      const tenant = `t-${randomBytes(4).toString('hex')}`;
      const bad: [string, () => Promise<unknown>][] = [
        [
          'U+0000 in a name',
          () =>
            s.secrets.putSecret({
              tenantId: tenant,
              name: 'a\u0000',
              dataKeyVersion: 1,
              ciphertext: 'Yw==',
            }),
        ],
        [
          'fractional key version',
          () =>
            s.secrets.putSecret({
              tenantId: tenant,
              name: 'a',
              dataKeyVersion: 1.5,
              ciphertext: 'Yw==',
            }),
        ],
        [
          'key version 0',
          () =>
            s.secrets.addDataKey({
              tenantId: tenant,
              version: 0,
              masterKeyId: 'm',
              wrappedKey: 'Yw==',
              createdAt: new Date().toISOString(),
            }),
        ],
        [
          'key version past integer',
          () =>
            s.secrets.addDataKey({
              tenantId: tenant,
              version: 2 ** 31,
              masterKeyId: 'm',
              wrappedKey: 'Yw==',
              createdAt: new Date().toISOString(),
            }),
        ],
        [
          'createdAt not a date',
          () =>
            s.secrets.addDataKey({
              tenantId: tenant,
              version: 1,
              masterKeyId: 'm',
              wrappedKey: 'Yw==',
              createdAt: 'soon',
            }),
        ],
        [
          'scopes not strings',
          () => s.apiKeys.createApiKey(newKey(tenant, { scopes: [1 as unknown as 'read'] })),
        ],
        ['U+0000 in a key name', () => s.apiKeys.createApiKey(newKey(tenant, { name: '\u0000' }))],
      ];
      for (const [what, call] of bad) {
        await expect(call(), what).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      expect(await s.secrets.listDataKeys(tenant)).toEqual([]);
      expect((await s.secrets.listSecrets(tenant)).items).toEqual([]);
      expect(await s.apiKeys.listApiKeys(tenant)).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

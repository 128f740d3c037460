import { randomBytes } from 'node:crypto';
import { parseMasterKeys, SecretVault } from '@spane/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutionStore } from '../src/index.js';
import { admin, createSchema, dropSchema, schemaName, store } from './helpers.js';

// SecretVault (core) over the PostgreSQL store, with several store instances (separate
// pools) standing for several processes.

const schema = schemaName();
/** For the rotation test alone: a rotation re-wraps the data keys of every tenant. */
const rotationSchema = schemaName();
const opened: PostgresExecutionStore[] = [];

beforeAll(async () => {
  await Promise.all([createSchema(schema), createSchema(rotationSchema)]);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await Promise.all([dropSchema(schema), dropSchema(rotationSchema)]);
});

const masterKey = () => randomBytes(32).toString('base64');
const tenant = () => `t-${randomBytes(4).toString('hex')}`;

/** A store of its own (its own pool, like another process), closed after the test. */
function open(inSchema = schema): PostgresExecutionStore {
  const s = store(inSchema);
  opened.push(s);
  return s;
}

/** A vault over a store of its own. */
function process_(keys: string, inSchema = schema): SecretVault {
  return new SecretVault(open(inSchema).secrets, { masterKeys: parseMasterKeys(keys) });
}

/** Every stored row of the store's secret tables, as text. */
async function storedText(): Promise<string> {
  const rows = await Promise.all(
    ['secrets', 'secret_data_keys'].map(
      async (table) =>
        (await admin(`SELECT row_to_json(t)::text AS row FROM "${schema}".${table} t`)).rows,
    ),
  );
  return rows
    .flat()
    .map((r) => r.row as string)
    .join('\n');
}

describe('SecretVault over the PostgreSQL store', () => {
  it('round-trips a value between processes; the database holds no value and no data key in clear', async () => {
    const key = masterKey();
    const t = tenant();
    const writer = process_(`v1:${key}`);
    const value = `sk_live_${randomBytes(12).toString('hex')}`;
    expect((await writer.set(t, 'stripe.token', value)).created).toBe(true);
    expect(await process_(`v1:${key}`).reveal(t, 'stripe.token')).toBe(value);
    const text = await storedText();
    expect(text).toContain(t);
    expect(text).not.toContain(value);
    expect(text).not.toContain(Buffer.from(value).toString('base64'));
    expect(text).not.toContain(Buffer.from(value).toString('hex'));
  });

  it('two processes starting a tenant at once create one data key, and read each other', async () => {
    const key = masterKey();
    const t = tenant();
    const [x, y] = [process_(key), process_(key)];
    await Promise.all([x.set(t, 'a', '1'), y.set(t, 'b', '2')]);
    expect(await open().secrets.listDataKeys(t)).toHaveLength(1);
    expect(await y.reveal(t, 'a')).toBe('1');
    expect(await x.reveal(t, 'b')).toBe('2');
  });

  it('master-key rotation from two processes at once re-wraps every key exactly once; values stay readable', async () => {
    const [oldKey, newKey] = [masterKey(), masterKey()];
    const tenants = [tenant(), tenant(), tenant()];
    const before = process_(`old:${oldKey}`, rotationSchema);
    for (const t of tenants) await before.set(t, 'one', `value of ${t}`);
    await before.rotateDataKey(tenants[0]!);
    const both = `new:${newKey},old:${oldKey}`;
    const rotators = [process_(both, rotationSchema), process_(both, rotationSchema)];
    const results = await Promise.all(rotators.map((r) => r.rotate({ batchSize: 1 })));
    expect(results[0]!.rewrapped + results[1]!.rewrapped).toBe(4);
    const secrets = open(rotationSchema).secrets;
    expect(await secrets.listDataKeysNotWrappedBy('new', 100)).toEqual([]);
    const onlyNew = process_(`new:${newKey}`, rotationSchema);
    for (const t of tenants) expect(await onlyNew.reveal(t, 'one')).toBe(`value of ${t}`);
  });
});

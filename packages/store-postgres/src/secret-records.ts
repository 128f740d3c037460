import {
  InvalidArgumentError,
  type NewSecretRecord,
  pageLimit,
  parseSecretCursor,
  SECRET_PAGE,
  type SecretInfo,
  type SecretPage,
  type SecretRecord,
  type SecretStore,
  type WrappedDataKey,
} from '@spane/core/store';
import type { Database, Row } from './db.js';
import { str } from './row-mapping.js';
import { iso, NOW, raw, type Sql, sql, timestamp } from './sql.js';
import type { Tables } from './tables.js';

// Encrypted secrets and wrapped data keys (`store.secrets`): ciphertexts only. Every
// statement names the tenant in its WHERE clause, so another tenant's name costs the same
// one lookup as an unknown one.

/** What the secret operations use. */
export interface SecretContext {
  db: Database;
  tables: Pick<Tables, 'dataKeys' | 'secrets'>;
}

const DATA_KEY_COLUMNS = raw(
  `tenant_id, version, master_key_id, wrapped_key, ${iso('created_at')}`,
);
const SECRET_INFO_COLUMNS = `tenant_id, name, data_key_version, ${iso('created_at')}, ${iso('updated_at')}`;
const SECRET_INFO = raw(SECRET_INFO_COLUMNS);
const SECRET_RECORD = raw(`${SECRET_INFO_COLUMNS}, ciphertext`);

function toDataKey(row: Row): WrappedDataKey {
  return {
    tenantId: str(row, 'tenant_id'),
    version: row.version as number,
    masterKeyId: str(row, 'master_key_id'),
    wrappedKey: str(row, 'wrapped_key'),
    createdAt: str(row, 'created_at'),
  };
}

function toSecretInfo(row: Row): SecretInfo {
  return {
    tenantId: str(row, 'tenant_id'),
    name: str(row, 'name'),
    dataKeyVersion: row.data_key_version as number,
    createdAt: str(row, 'created_at'),
    updatedAt: str(row, 'updated_at'),
  };
}

/**
 * `value` when it is a positive integer up to `max` (a data-key version fits `integer`).
 * @throws InvalidArgumentError for anything else.
 */
function positive(value: number, what: string, max = 2_147_483_647): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${value}`);
  }
  return value;
}

/** `store.secrets` of {@link PostgresExecutionStore}: one statement per call. */
export class PostgresSecrets implements SecretStore {
  readonly #ctx: SecretContext;

  constructor(ctx: SecretContext) {
    this.#ctx = ctx;
  }

  async listDataKeys(tenantId: string): Promise<WrappedDataKey[]> {
    const [rows] = await this.#ctx.db.read(
      sql`SELECT ${DATA_KEY_COLUMNS} FROM ${this.#ctx.tables.dataKeys}
            WHERE tenant_id = ${tenantId} ORDER BY version`,
    );
    return rows!.map(toDataKey);
  }

  async addDataKey(key: WrappedDataKey): Promise<boolean> {
    // Of concurrent inserts of one (tenant, version) the unique index lets exactly one in.
    const [rows] = await this.#ctx.db.write([
      sql`INSERT INTO ${this.#ctx.tables.dataKeys}
              (tenant_id, version, master_key_id, wrapped_key, created_at)
            VALUES (${key.tenantId}, ${positive(key.version, 'version')}, ${key.masterKeyId},
              ${key.wrappedKey}, ${timestamp(key.createdAt, 'createdAt')})
            ON CONFLICT DO NOTHING RETURNING 1 AS added`,
    ]);
    return rows!.length === 1;
  }

  async rewrapDataKey(
    tenantId: string,
    keyVersion: number,
    expectedMasterKeyId: string,
    next: { masterKeyId: string; wrappedKey: string },
  ): Promise<boolean> {
    // Compare-and-set: the row lock orders concurrent rewraps, and a later one re-checks
    // master_key_id on the row the earlier one wrote.
    const [rows] = await this.#ctx.db.write([
      sql`UPDATE ${this.#ctx.tables.dataKeys}
            SET master_key_id = ${next.masterKeyId}, wrapped_key = ${next.wrappedKey}
            WHERE tenant_id = ${tenantId} AND version = ${positive(keyVersion, 'version')}
              AND master_key_id = ${expectedMasterKeyId}
            RETURNING 1 AS rewrapped`,
    ]);
    return rows!.length === 1;
  }

  async listDataKeysNotWrappedBy(masterKeyId: string, limit: number): Promise<WrappedDataKey[]> {
    const [rows] = await this.#ctx.db.read(
      sql`SELECT ${DATA_KEY_COLUMNS} FROM ${this.#ctx.tables.dataKeys}
            WHERE master_key_id <> ${masterKeyId} ORDER BY tenant_id, version
            LIMIT ${positive(limit, 'limit', Number.MAX_SAFE_INTEGER)}`,
    );
    return rows!.map(toDataKey);
  }

  async putSecret(record: NewSecretRecord): Promise<{ secret: SecretInfo; created: boolean }> {
    // `xmax = 0` on the returned row: it was inserted, not updated by ON CONFLICT.
    const [rows] = await this.#ctx.db.write([
      sql`INSERT INTO ${this.#ctx.tables.secrets}
              (tenant_id, name, data_key_version, ciphertext, created_at, updated_at)
            VALUES (${record.tenantId}, ${record.name},
              ${positive(record.dataKeyVersion, 'dataKeyVersion')}, ${record.ciphertext}, ${NOW}, ${NOW})
            ON CONFLICT (tenant_id, name) DO UPDATE SET
              data_key_version = EXCLUDED.data_key_version, ciphertext = EXCLUDED.ciphertext,
              updated_at = EXCLUDED.updated_at
            RETURNING ${SECRET_INFO}, (xmax = 0) AS created`,
    ]);
    const row = rows![0]!;
    return { secret: toSecretInfo(row), created: row.created === true };
  }

  async getSecret(tenantId: string, name: string): Promise<SecretRecord | null> {
    const [rows] = await this.#ctx.db.read(
      sql`SELECT ${SECRET_RECORD} FROM ${this.#ctx.tables.secrets}
            WHERE tenant_id = ${tenantId} AND name = ${name}`,
    );
    const row = rows![0];
    return row ? { ...toSecretInfo(row), ciphertext: str(row, 'ciphertext') } : null;
  }

  async listSecrets(
    tenantId: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<SecretPage> {
    const limit = pageLimit(options.limit, SECRET_PAGE);
    const after = parseSecretCursor(options.cursor);
    const where: Sql = after === undefined ? raw('TRUE') : sql`name > ${after}`;
    // `name` is byte-ordered (collation C): the primary key serves the order and the range.
    const [rows] = await this.#ctx.db.read(
      sql`SELECT ${SECRET_INFO} FROM ${this.#ctx.tables.secrets}
            WHERE tenant_id = ${tenantId} AND ${where} ORDER BY name LIMIT ${limit + 1}`,
    );
    const items = rows!.slice(0, limit).map(toSecretInfo);
    const page: SecretPage = { items };
    if (rows!.length > limit) page.nextCursor = items[items.length - 1]!.name;
    return page;
  }

  async deleteSecret(tenantId: string, name: string): Promise<boolean> {
    const [rows] = await this.#ctx.db.write([
      sql`DELETE FROM ${this.#ctx.tables.secrets}
            WHERE tenant_id = ${tenantId} AND name = ${name} RETURNING 1 AS deleted`,
    ]);
    return rows!.length === 1;
  }
}

import {
  type ApiKeyRecord,
  type ApiKeyRecordStore,
  type ApiKeyScope,
  InvalidArgumentError,
  type NewApiKeyRecord,
} from '@spane/core/store';
import type { Database, Row } from './db.js';
import { opt, str } from './row-mapping.js';
import { iso, NOW, raw, sql, timestamp } from './sql.js';
import type { Tables } from './tables.js';

// API keys created through the API (`store.apiKeys`): the hash of each key, never the key.
// Revocation names the tenant in its WHERE clause, so another tenant's id costs the same
// one statement as an unknown one.

/** What the API-key operations use. */
export interface ApiKeyContext {
  db: Database;
  tables: Pick<Tables, 'apiKeys'>;
}

const API_KEY_COLUMNS = raw(
  [
    'id',
    'tenant_id',
    'to_json(scopes)::text AS scopes',
    'hash',
    'prefix',
    'name',
    iso('expires_at'),
    iso('created_at'),
    iso('revoked_at'),
  ].join(', '),
);

/** A row as the record it was given: optional fields absent when NULL. */
function toApiKey(row: Row): ApiKeyRecord {
  const record: ApiKeyRecord = {
    id: str(row, 'id'),
    tenantId: str(row, 'tenant_id'),
    scopes: JSON.parse(str(row, 'scopes')) as ApiKeyScope[],
    hash: str(row, 'hash'),
    prefix: str(row, 'prefix'),
    createdAt: str(row, 'created_at'),
  };
  const name = opt(row, 'name');
  if (name !== undefined) record.name = name;
  const expiresAt = opt(row, 'expires_at');
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  const revokedAt = opt(row, 'revoked_at');
  if (revokedAt !== undefined) record.revokedAt = revokedAt;
  return record;
}

/** `store.apiKeys` of {@link PostgresExecutionStore}: one statement per call. */
export class PostgresApiKeys implements ApiKeyRecordStore {
  readonly #ctx: ApiKeyContext;

  constructor(ctx: ApiKeyContext) {
    this.#ctx = ctx;
  }

  async createApiKey(record: NewApiKeyRecord): Promise<ApiKeyRecord> {
    if (!Array.isArray(record.scopes) || !record.scopes.every((s) => typeof s === 'string')) {
      throw new InvalidArgumentError('scopes must be an array of scope names');
    }
    const expiresAt =
      record.expiresAt === undefined ? raw('NULL') : timestamp(record.expiresAt, 'expiresAt');
    // ON CONFLICT without a target covers both the id and the hash: a duplicate of either
    // inserts nothing (also when two creates race), and no error reaches the caller's logs.
    const [rows] = await this.#ctx.db.write([
      sql`INSERT INTO ${this.#ctx.tables.apiKeys}
              (id, tenant_id, scopes, hash, prefix, name, expires_at, created_at)
            VALUES (${record.id}, ${record.tenantId}, ${record.scopes}, ${record.hash},
              ${record.prefix}, ${record.name}, ${expiresAt}, ${NOW})
            ON CONFLICT DO NOTHING RETURNING ${API_KEY_COLUMNS}`,
    ]);
    const row = rows![0];
    if (!row) throw new InvalidArgumentError('an API key with this id or hash exists already');
    return toApiKey(row);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const [rows] = await this.#ctx.db.read(
      sql`SELECT ${API_KEY_COLUMNS} FROM ${this.#ctx.tables.apiKeys} WHERE hash = ${hash}`,
    );
    return rows![0] ? toApiKey(rows![0]) : null;
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const [rows] = await this.#ctx.db.read(
      sql`SELECT ${API_KEY_COLUMNS} FROM ${this.#ctx.tables.apiKeys}
            WHERE tenant_id = ${tenantId} ORDER BY seq DESC`,
    );
    return rows!.map(toApiKey);
  }

  async revokeApiKey(id: string, tenantId: string): Promise<boolean> {
    // The row lock orders concurrent revokes; a later one re-checks `revoked_at IS NULL`.
    const [rows] = await this.#ctx.db.write([
      sql`UPDATE ${this.#ctx.tables.apiKeys} SET revoked_at = ${NOW}
            WHERE id = ${id} AND tenant_id = ${tenantId} AND revoked_at IS NULL
            RETURNING 1 AS revoked`,
    ]);
    return rows!.length === 1;
  }
}

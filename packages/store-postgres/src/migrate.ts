import { SpaneError } from '@spane/core';
import type { MigrationConfig, MigrationMeta } from 'drizzle-orm/migrator';
import { drizzle } from 'drizzle-orm/node-postgres';
import { PgDialect, type PgSession } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { MIGRATIONS } from './migrations.generated.js';
import { ident, literal } from './sql.js';

/** Table (in the store's schema) where drizzle records the applied migrations. */
export const MIGRATIONS_TABLE = '__drizzle_migrations';

/** The oldest PostgreSQL the store supports. */
export const MIN_SERVER_VERSION = 130000;

/**
 * The embedded migrations (src/migrations.generated.ts, made from drizzle-kit's `drizzle/`
 * folder) as drizzle's migrator takes them: what its `readMigrationFiles` reads from that
 * folder — the SQL split at the breakpoint markers, the journal's `when` and the SHA-256 of
 * the file — so a database migrated from the folder records the same rows and has nothing
 * left to apply.
 */
export function embeddedMigrations(): MigrationMeta[] {
  return MIGRATIONS.map((m) => ({
    sql: m.sql.split('--> statement-breakpoint'),
    bps: m.breakpoints,
    folderMillis: m.when,
    hash: m.hash,
  }));
}

/** First key of the advisory lock that serializes migrations (the second is the schema's hash). */
const LOCK_CLASS = 0x5350_414e; // "SPAN"

/**
 * Applies the pending embedded migrations to `schema` (creating it if missing) on one
 * connection holding a session-level `pg_advisory_lock`, so several processes starting at
 * once migrate one after another and the later ones find nothing to do.
 *
 * @throws SpaneError `INVALID_ARGUMENT` when the server is older than PostgreSQL 13.
 */
export async function applyMigrations(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const version = Number(rows[0]?.server_version_num);
    if (!(version >= MIN_SERVER_VERSION)) {
      throw new SpaneError(
        'INVALID_ARGUMENT',
        `@spane/store-postgres needs PostgreSQL 13 or newer; the server reports version ${
          rows[0]?.server_version_num ?? 'unknown'
        }`,
        { details: { serverVersionNum: rows[0]?.server_version_num } },
      );
    }
    const key = `${LOCK_CLASS}, hashtext(${literal(schema)})`;
    await client.query(`SELECT pg_advisory_lock(${key})`);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema).text}`);
      await client.query(`SET search_path TO ${ident(schema).text}`);
      // drizzle's node-postgres `migrate` without its folder read: the dialect applies the
      // migrations later than the last recorded one, in one transaction, and records them.
      // (`migrationsFolder` is read by readMigrationFiles only.)
      const config = { migrationsSchema: schema, migrationsTable: MIGRATIONS_TABLE };
      const session = drizzle({ client })._.session as PgSession;
      await new PgDialect().migrate(embeddedMigrations(), session, config as MigrationConfig);
      await client.query('RESET search_path');
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${key})`);
    }
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // On failure the connection is closed rather than reused: that also drops the lock
    // and the session's search_path, whatever state the failure left them in.
    client.release(failure);
  }
}

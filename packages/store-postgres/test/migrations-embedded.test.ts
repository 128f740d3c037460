import { readFileSync } from 'node:fs';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { DRIZZLE_DIR, MODULE_PATH, renderMigrationsModule } from '../scripts/embed-migrations.mjs';
import { MIGRATIONS_TABLE, PostgresExecutionStore } from '../src/index.js';
import { embeddedMigrations } from '../src/migrate.js';
import { MIGRATIONS } from '../src/migrations.generated.js';
import { admin, DATABASE_URL, dropSchema, schemaName } from './helpers.js';

const drizzleDir = DRIZZLE_DIR as string;

describe('embedded migrations', () => {
  it('src/migrations.generated.ts embeds drizzle/ as it is (run `pnpm embed-migrations` after a change)', () => {
    expect(readFileSync(MODULE_PATH as string, 'utf8')).toBe(
      (renderMigrationsModule as () => string)(),
    );
    const journal = JSON.parse(readFileSync(`${drizzleDir}/meta/_journal.json`, 'utf8')) as {
      entries: { tag: string }[];
    };
    expect(MIGRATIONS.map((m) => m.tag)).toEqual(journal.entries.map((e) => e.tag));
  });

  it('are what drizzle reads from the folder: same statements, timestamps and hashes', () => {
    expect(embeddedMigrations()).toEqual(readMigrationFiles({ migrationsFolder: drizzleDir }));
  });
});

/** Runs the store's `migrate()` on `schema`; returns the text of every statement it sent. */
async function migrateWatched(schema: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  const sent: string[] = [];
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const config = args[0] as string | { text: string };
      sent.push(typeof config === 'string' ? config : config.text);
      return query(...args);
    };
  });
  const store = new PostgresExecutionStore({ pool, schema });
  try {
    await store.migrate();
  } finally {
    await store.close();
    await pool.end();
  }
  return sent;
}

/** Every statement of the migrations, as drizzle sends them. */
const statements = MIGRATIONS.flatMap((m) => m.sql.split('--> statement-breakpoint'));

const recorded = (schema: string) =>
  `SELECT id, hash, created_at FROM "${schema}".${MIGRATIONS_TABLE} ORDER BY id`;

describe('migrate() with the embedded migrations', () => {
  const schemas: string[] = [];

  afterEach(async () => {
    await Promise.all(schemas.splice(0).map(dropSchema));
  });

  it('applies each statement to a new schema and records each migration as drizzle does', async () => {
    const schema = schemaName();
    schemas.push(schema);
    const sent = await migrateWatched(schema);
    expect(statements.length).toBeGreaterThan(1);
    for (const statement of statements) expect(sent).toContain(statement);
    const rows = (await admin(recorded(schema))).rows;
    expect(rows.map((r) => [r.hash, Number(r.created_at)])).toEqual(
      MIGRATIONS.map((m) => [m.hash, m.when]),
    );
  });

  it('finds a schema migrated from the drizzle/ folder up to date: records and applies nothing', async () => {
    const schema = schemaName();
    schemas.push(schema);
    // As the store migrated before it embedded its migrations.
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(`SET search_path TO "${schema}"`);
      await migrate(drizzle({ client }), {
        migrationsFolder: drizzleDir,
        migrationsSchema: schema,
        migrationsTable: MIGRATIONS_TABLE,
      });
    } finally {
      await client.end();
    }
    const before = (await admin(recorded(schema))).rows;
    expect(before).toHaveLength(MIGRATIONS.length);

    const sent = await migrateWatched(schema);
    expect((await admin(recorded(schema))).rows).toEqual(before);
    for (const statement of statements) expect(sent).not.toContain(statement);
    // It did read what was recorded (it ran, and found nothing to do).
    expect(sent.some((text) => text.includes(MIGRATIONS_TABLE))).toBe(true);
  });
});

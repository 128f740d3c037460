import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostProbe, type SqlObservation } from '../src/cost-probe.js';
import { countingClient, probePostgres } from '../src/stores.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('the probe on PostgreSQL (a pool of counting clients)', () => {
  let redis: Redis;
  let pool: pg.Pool;
  let sql: SqlObservation;

  beforeAll(async () => {
    const probe = await probePostgres(DATABASE_URL);
    if (!probe.ok) throw new Error(`PostgreSQL is needed for this test: ${probe.reason}`);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    sql = { counts: { roundTrips: 0, statements: 0 }, connections: new Set() };
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2, Client: countingClient(sql) });
  });
  afterAll(async () => {
    await pool?.end();
    await redis?.quit();
  });

  it('counts round trips and statements as they are sent', async () => {
    const start = { ...sql.counts };
    await pool.query('SELECT 1; SELECT 2;');
    await pool.query({ text: 'SELECT $1::int AS n', values: [3] });
    const client = await pool.connect();
    try {
      expect((await client.query('SELECT 4 AS n')).rows).toEqual([{ n: 4 }]);
    } finally {
      client.release();
    }
    expect(sql.counts.roundTrips - start.roundTrips).toBe(3);
    expect(sql.counts.statements - start.statements).toBe(4);
  });

  it("finds the pool's backends and sees every transaction they ran, less its own", async () => {
    // Both connections open, busy at once.
    await Promise.all([pool.query('SELECT pg_sleep(0.05)'), pool.query('SELECT pg_sleep(0.05)')]);
    expect(sql.connections.size).toBe(2);
    const probe = new CostProbe(redis, sql);
    try {
      await probe.before();
      const n = 20;
      for (let i = 0; i < n; i++) await pool.query('SELECT count(*) FROM pg_class');
      const cost = await probe.after(n);
      expect(cost.sqlRoundTrips).toBe(1);
      expect(cost.sqlStatements).toBe(1);
      // The database is shared: other clients can only add transactions. The probe's own
      // readings are not counted, and every one of the n was reported in time.
      expect(Math.round(cost.sqlXacts * n)).toBeGreaterThanOrEqual(n);
      expect(cost.pgPoolCpuUs).toBeGreaterThanOrEqual(0);
      expect(cost.pgServerCpuUs).toBeGreaterThanOrEqual(cost.pgPoolCpuUs);
      expect(cost.engineCpuUs).toBeGreaterThan(0);
    } finally {
      await probe.close();
    }
  });

  it('reads the transactions through a connection that still answers when one closes between its queries', async () => {
    const observed: SqlObservation = {
      counts: { roundTrips: 0, statements: 0 },
      connections: new Set(),
    };
    // First in the set: a real connection that closes right after the probe's SELECT 1, as
    // the pool closes an idle one.
    const closing = new pg.Client({ connectionString: DATABASE_URL });
    await closing.connect();
    observed.connections.add({
      pid: () => (closing as unknown as { processID: number }).processID,
      uncounted: async (text: string) => {
        const result = await closing.query(text);
        if (text === 'SELECT 1') await closing.end();
        return result;
      },
    });
    const own = new pg.Pool({
      connectionString: DATABASE_URL,
      max: 1,
      Client: countingClient(observed),
    });
    const probe = new CostProbe(redis, observed);
    try {
      await own.query('SELECT 1');
      await probe.before();
      const n = 20;
      for (let i = 0; i < n; i++) await own.query('SELECT count(*) FROM pg_class');
      const cost = await probe.after(n);
      expect(Math.round(cost.sqlXacts * n)).toBeGreaterThanOrEqual(n);
      // The closed connection is no longer read.
      expect(observed.connections.size).toBe(1);
    } finally {
      await own.end();
    }
  });
});

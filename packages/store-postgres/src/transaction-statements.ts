import { raw } from './sql.js';

/** Opens a transaction of writes (the store's default isolation). */
export const BEGIN = raw('BEGIN ISOLATION LEVEL READ COMMITTED');

/** Opens a read-only transaction that reads from one snapshot. */
export const BEGIN_SNAPSHOT = raw('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');

/** Commits the open transaction. */
export const COMMIT = raw('COMMIT');

/**
 * Commits the transaction without waiting for its WAL to reach disk. Used for writes that a
 * crash of PostgreSQL may lose without harm (see the notes on `PostgresExecutionStore`):
 * the `running` mark of a node (its job runs again after a crash anyway) and spans/logs.
 */
export const ASYNC_COMMIT = raw('SET LOCAL synchronous_commit = off');

/** Rolls the open transaction back. */
export const ROLLBACK = raw('ROLLBACK');

import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@spane/core/store';
import pg from 'pg';
import type { Sql } from './sql.js';

/** One row as the store reads it: text, numbers (int2/int4), booleans; see {@link TYPES}. */
export type Row = Record<string, unknown>;

/**
 * Parsers of every query the store sends, independent of the process-wide `pg.types`
 * (an application may have replaced those). The store selects jsonb as text (parsing it
 * itself keeps SQL NULL apart from JSON null) and timestamps as ISO text, so only
 * integers and booleans are converted; everything else (int8 included) stays text.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => {
    if (oid === 21 || oid === 23) return Number;
    if (oid === 16) return (value: string) => value === 't';
    return (value: string) => value;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A connection lent to one unit of work. */
export interface Session {
  /**
   * Sends statements as one batch (one round trip) that commits nothing: reads, or the
   * opening part of a transaction. If the connection is lost, the work can be re-run.
   */
  query(...statements: Sql[]): Promise<Row[][]>;
  /**
   * Sends a batch that may commit writes. Once it has been sent, a lost connection leaves
   * the outcome unknown, so the work is not re-run (unless it is idempotent).
   */
  commit(...statements: Sql[]): Promise<Row[][]>;
  /**
   * Runs one statement with bind parameters as a named prepared statement (parsed and
   * planned once per connection), in its own implicit transaction, which it may commit.
   */
  prepared(statement: PreparedStatement, values: readonly unknown[]): Promise<Row[]>;
}

/** A statement sent as a named prepared statement. */
export interface PreparedStatement {
  /** Derived from the text, so one text has one name on every connection. */
  name: string;
  text: string;
}

/** Names `text` for {@link Session.prepared} (hashing it once, not per call). */
export function preparedStatement(text: string): PreparedStatement {
  return { name: `spane_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text };
}

const CONNECTION_CODES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, server shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting or in recovery)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const NOT_SENT_MESSAGES = ['is not queryable', 'Client was closed'];

/** True for errors of a lost or refused connection. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(
      error.message,
    ) || NOT_SENT_MESSAGES.some((m) => error.message.includes(m))
  );
}

/** True when the statement never left the process (the client was already broken). */
function wasNotSent(error: unknown): boolean {
  return error instanceof Error && NOT_SENT_MESSAGES.some((m) => error.message.includes(m));
}

/** Serialization failure or deadlock: the server rolled the transaction back. */
function isRolledBackByServer(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/**
 * PostgreSQL's "bad value" errors (by SQLSTATE), which mean the caller passed something
 * the store cannot keep — each with what it means, in words of our own: the database's
 * message (which names the database, types and sometimes SQL) and the SQLSTATE never reach
 * a caller.
 */
const INVALID_VALUES: ReadonlyMap<string, string> = new Map([
  [
    '22P02',
    'a value is not in a form the store accepts (e.g. a lone UTF-16 surrogate in a string)',
  ],
  ['22P05', 'a value holds a character the store cannot keep (e.g. a lone UTF-16 surrogate)'],
  ['22021', 'a value holds a byte sequence that is not valid text'],
  ['22003', 'a number is out of the range the store can keep'],
  ['22007', 'a date or time is not valid'],
  ['22008', 'a date or time is out of range'],
  ['22001', 'a value is too long for the store'],
  ['54000', 'a value is too large for the store'],
]);

/**
 * Maps a bad-value error to InvalidArgumentError (its message says what was wrong without
 * the database's text or SQLSTATE; the original is its `cause`, for logs); returns
 * anything else unchanged.
 */
export function translateError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof pg.DatabaseError && typeof code === 'string') {
    const meaning = INVALID_VALUES.get(code);
    if (meaning !== undefined) {
      const translated = new InvalidArgumentError(`the store refused a value: ${meaning}`);
      Object.defineProperty(translated, 'cause', { value: error, configurable: true });
      return translated;
    }
  }
  return error;
}

function delay(attempt: number): Promise<void> {
  const ms = 25 * 2 ** attempt + Math.floor(Math.random() * 25);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function transactionEffect(statement: Sql): 'begin' | 'end' | undefined {
  const head = statement.text.trimStart().slice(0, 8).toUpperCase();
  if (head.startsWith('BEGIN')) return 'begin';
  if (head.startsWith('COMMIT') || head.startsWith('ROLLBACK')) return 'end';
  return undefined;
}

/** Options of {@link Database}. */
export interface DatabaseOptions {
  pool: pg.Pool;
  /** How often a unit of work that failed on a lost connection is re-run. */
  retries: number;
  onError: (error: Error) => void;
}

/**
 * The store's access to PostgreSQL: lends a pooled connection to a unit of work, re-runs
 * the work on transient connection errors when that is safe, and keeps a dropped
 * connection (server restart, `pg_terminate_backend`) from crashing the process.
 */
export class Database {
  readonly pool: pg.Pool;
  readonly #retries: number;
  readonly #watched = new WeakSet<pg.PoolClient>();
  readonly #onError: (error: Error) => void;

  constructor(options: DatabaseOptions) {
    this.pool = options.pool;
    this.#retries = options.retries;
    this.#onError = options.onError;
  }

  /** Attaches the error listener to a client once (idle clients are covered by the pool's). */
  #watch(client: pg.PoolClient): void {
    if (this.#watched.has(client)) return;
    this.#watched.add(client);
    client.on('error', this.#onError);
  }

  /**
   * Runs `work` on one connection. When the connection is lost, or the server rolls the
   * transaction back (deadlock, serialization failure), the work is re-run on a new
   * connection up to `retries` times, unless a batch that may have committed was in
   * flight (`Session.commit`) and the work is not `idempotent`.
   */
  async run<T>(work: (session: Session) => Promise<T>, idempotent = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        if (attempt < this.#retries && isConnectionError(error)) {
          await delay(attempt);
          continue;
        }
        throw error;
      }
      this.#watch(client);

      let open = false;
      let broken = false;
      let unknownOutcome = false;
      const send = async (
        statements: Sql[],
        commits: boolean,
        prepared?: { statement: PreparedStatement; values: readonly unknown[] },
      ): Promise<Row[][]> => {
        let opens = open;
        for (const s of statements) {
          const effect = transactionEffect(s);
          if (effect === 'begin') opens = true;
        }
        try {
          const result = (await client.query(
            prepared
              ? {
                  name: prepared.statement.name,
                  text: prepared.statement.text,
                  values: prepared.values as unknown[],
                  types: TYPES,
                }
              : { text: statements.map((s) => s.text).join(';\n'), types: TYPES },
          )) as unknown as pg.QueryResult<Row> | pg.QueryResult<Row>[];
          const results = Array.isArray(result) ? result : [result];
          for (const s of statements) {
            const effect = transactionEffect(s);
            if (effect === 'begin') open = true;
            else if (effect === 'end') open = false;
          }
          return results.map((r) => r.rows ?? []);
        } catch (error) {
          // A failed batch leaves an opened transaction open (and aborted).
          open = opens;
          if (isConnectionError(error)) {
            broken = true;
            if (commits && !wasNotSent(error)) unknownOutcome = true;
          }
          throw error;
        }
      };
      const session: Session = {
        query: (...statements) => send(statements, false),
        commit: (...statements) => send(statements, true),
        prepared: async (statement, values) => (await send([], true, { statement, values }))[0]!,
      };

      try {
        const result = await work(session);
        if (open) {
          // A unit of work always ends its transaction; this is a safety net.
          await client.query('ROLLBACK');
        }
        client.release();
        return result;
      } catch (error) {
        if (broken) {
          client.release(error as Error);
        } else if (open) {
          try {
            await client.query('ROLLBACK');
            client.release();
          } catch (rollbackError) {
            client.release(rollbackError as Error);
          }
        } else {
          client.release();
        }
        const retry =
          attempt < this.#retries &&
          ((broken && (idempotent || !unknownOutcome)) || isRolledBackByServer(error));
        if (retry) {
          await delay(attempt);
          continue;
        }
        throw translateError(error);
      }
    }
  }

  /** One batch that only reads (re-run on a lost connection). */
  read(...statements: Sql[]): Promise<Row[][]> {
    return this.run((s) => s.query(...statements), true);
  }

  /**
   * One batch that writes (a single statement, or a whole transaction). Re-run on a lost
   * connection only when it was never sent, or when `idempotent` (running it twice
   * leaves the same state and result).
   */
  write(statements: Sql[], idempotent = false): Promise<Row[][]> {
    return this.run((s) => s.commit(...statements), idempotent);
  }

  /** One prepared statement with bind parameters (see {@link Session.prepared}). */
  prepared(
    statement: PreparedStatement,
    values: readonly unknown[],
    idempotent = false,
  ): Promise<Row[]> {
    return this.run((s) => s.prepared(statement, values), idempotent);
  }
}

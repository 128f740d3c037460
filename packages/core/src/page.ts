import { InvalidArgumentError } from './errors.js';

/** The default and the largest page size of one kind of listing. */
export interface PageBounds {
  /** Items of a page when the caller gives no limit. */
  readonly defaultLimit: number;
  /** The most items of one page; a larger limit is lowered to it. */
  readonly maxLimit: number;
}

/** Executions per page of `listExecutions`. */
export const EXECUTION_PAGE: PageBounds = Object.freeze({ defaultLimit: 50, maxLimit: 1000 });
/** Nodes per page of `listActiveNodes`. */
export const ACTIVE_NODE_PAGE: PageBounds = Object.freeze({ defaultLimit: 500, maxLimit: 5000 });
/** Dead-letter items per page of `listDLQItems`. */
export const DLQ_PAGE: PageBounds = Object.freeze({ defaultLimit: 50, maxLimit: 1000 });

/**
 * A page size from a caller's `limit`: the default when it is absent, else rounded down
 * and kept within 1 and the maximum (so `Infinity` asks for the largest page).
 * @throws InvalidArgumentError when `limit` is not a number, or NaN.
 */
export function pageLimit(limit: number | undefined, bounds: PageBounds): number {
  if (limit === undefined) return bounds.defaultLimit;
  if (typeof limit !== 'number' || Number.isNaN(limit)) {
    throw new InvalidArgumentError(`limit must be a number, got ${String(limit)}`);
  }
  return Math.min(Math.max(1, Math.floor(limit)), bounds.maxLimit);
}

/** Sequence numbers in cursors: decimal digits, as many as a bigint column holds. */
const SEQ = /^\d{1,18}$/;

/**
 * Reads a cursor that is a sequence number (the last item of the previous page), as both
 * stores write for newest-first listings. Returns its digits, or undefined for no cursor.
 * @throws InvalidArgumentError for anything else.
 */
export function parseSeqCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (typeof cursor !== 'string' || !SEQ.test(cursor)) throw invalidCursor(cursor);
  return cursor;
}

/** The cursor after an item ordered by a sequence number and then a key: `<seq>:<key>`. */
export function seqKeyCursor(seq: number | string, key: string): string {
  return `${seq}:${key}`;
}

/**
 * Reads a {@link seqKeyCursor}; undefined for no cursor.
 * @throws InvalidArgumentError for anything else.
 */
export function parseSeqKeyCursor(
  cursor: string | undefined,
): { seq: string; key: string } | undefined {
  if (cursor === undefined) return undefined;
  const colon = typeof cursor === 'string' ? cursor.indexOf(':') : -1;
  const seq = colon < 0 ? '' : cursor.slice(0, colon);
  if (!SEQ.test(seq)) throw invalidCursor(cursor);
  return { seq, key: cursor.slice(colon + 1) };
}

function invalidCursor(cursor: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`invalid cursor '${String(cursor)}'`);
}

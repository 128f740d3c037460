import {
  type ApiKeyRecord,
  type ApiKeyRecordStore,
  isSpaneError,
  type NewApiKeyRecord,
} from '@spane/core';
import { HttpError } from './http-errors.js';

/** Default of `auth.storedCacheMs`: how long a looked-up stored key is remembered, 5 s. */
export const DEFAULT_STORED_KEY_CACHE_MS = 5_000;
/** Most stored-key lookups remembered per process (found and not found together). */
export const STORED_KEY_CACHE_SIZE = 10_000;
/** Longest wait for the store on one call about API keys before answering 503. */
export const STORED_KEY_TIMEOUT_MS = 5_000;

/** The error code of a 503 when the store of API keys did not answer. */
export const UNAVAILABLE = 'UNAVAILABLE';

interface CacheEntry {
  record: ApiKeyRecord | null;
  until: number;
}

/** Raced against a store call: rejects after `ms`. The timer never keeps the process alive. */
function deadline(ms: number): { promise: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/**
 * The API keys kept in the store (`ExecutionStore.apiKeys`), as the HTTP layer uses them:
 * every call bounded by {@link STORED_KEY_TIMEOUT_MS}; a call that throws (other than a
 * SpaneError, e.g. a bad argument) or does not answer in time becomes 503 `UNAVAILABLE`,
 * never a 500 nor a 401. Lookups by hash are remembered for `cacheMs` (found and not
 * found alike, at most {@link STORED_KEY_CACHE_SIZE} entries, oldest dropped first), and
 * concurrent lookups of one hash share one store call. A key revoked through this process
 * is forgotten at once; other processes notice within `cacheMs`.
 */
export class StoredApiKeys {
  readonly #store: ApiKeyRecordStore;
  readonly #cacheMs: number;
  readonly #timeoutMs: number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<ApiKeyRecord | null>>();

  constructor(store: ApiKeyRecordStore, cacheMs: number, timeoutMs = STORED_KEY_TIMEOUT_MS) {
    this.#store = store;
    this.#cacheMs = cacheMs;
    this.#timeoutMs = timeoutMs;
  }

  /** The key with this hash (revoked and expired ones too), or null; cached. @throws HttpError 503 */
  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const cached = this.#cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.record;
    if (cached) this.#cache.delete(hash);
    let pending = this.#inFlight.get(hash);
    if (!pending) {
      pending = this.#call('look up an API key', () => this.#store.findApiKeyByHash(hash));
      this.#inFlight.set(hash, pending);
      pending
        .then((record) => this.#remember(hash, record))
        .catch(() => {})
        .finally(() => this.#inFlight.delete(hash));
    }
    return pending;
  }

  /** Saves a new key. @throws HttpError 503 */
  create(record: NewApiKeyRecord): Promise<ApiKeyRecord> {
    return this.#call('save an API key', () => this.#store.createApiKey(record));
  }

  /** The tenant's keys, newest first. @throws HttpError 503 */
  list(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.#call('list API keys', () => this.#store.listApiKeys(tenantId));
  }

  /**
   * Revokes the tenant's key and forgets it in this process's cache (also when the store
   * call fails: the next lookup asks the store again). @throws HttpError 503
   */
  async revoke(id: string, tenantId: string): Promise<boolean> {
    try {
      return await this.#call('revoke an API key', () => this.#store.revokeApiKey(id, tenantId));
    } finally {
      this.#forget(id);
    }
  }

  #remember(hash: string, record: ApiKeyRecord | null): void {
    if (this.#cacheMs <= 0) return;
    this.#cache.delete(hash);
    while (this.#cache.size >= STORED_KEY_CACHE_SIZE) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    this.#cache.set(hash, { record, until: Date.now() + this.#cacheMs });
  }

  #forget(id: string): void {
    for (const [hash, entry] of this.#cache) {
      if (entry.record?.id === id) this.#cache.delete(hash);
    }
  }

  async #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    const timeout = deadline(this.#timeoutMs);
    try {
      return await Promise.race([Promise.resolve().then(call), timeout.promise]);
    } catch (err) {
      if (isSpaneError(err)) throw err;
      const error = new HttpError(
        503,
        UNAVAILABLE,
        `The store of API keys did not answer (could not ${what}); try again`,
        { headers: { 'retry-after': '1' } },
      );
      error.cause = err;
      throw error;
    } finally {
      timeout.clear();
    }
  }
}

/** True when a stored key no longer authenticates: revoked, or expired at `now`. */
export function isStoredKeyInactive(record: ApiKeyRecord, now = Date.now()): boolean {
  if (record.revokedAt !== undefined && record.revokedAt !== null) return true;
  if (record.expiresAt === undefined || record.expiresAt === null) return false;
  // An unreadable time counts as expired.
  return !(Date.parse(record.expiresAt) > now);
}

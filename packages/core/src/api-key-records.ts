/**
 * Persistence of API keys created through the API. Only a SHA-256 hash of each key is
 * kept; the key itself is shown once, when created, and never stored.
 */

/** What a key may do. `admin` implies every scope; the others imply nothing. */
export type ApiKeyScope = 'read' | 'execute' | 'admin';

/** What a store needs to save a new key. */
export interface NewApiKeyRecord {
  /** Public id of the key (not secret), used to list and revoke it. */
  id: string;
  /** The tenant every call made with the key is scoped to. */
  tenantId: string;
  /** What the key may do. */
  scopes: ApiKeyScope[];
  /** Lower-case hex SHA-256 of the key; unique across all keys. */
  hash: string;
  /** The first characters of the key, shown in listings so a person can tell keys apart. */
  prefix: string;
  /** A label given when the key was created. */
  name?: string;
  /** After this time (ISO 8601) the key no longer authenticates. */
  expiresAt?: string;
}

/** A stored key (its hash, never the key). */
export interface ApiKeyRecord extends NewApiKeyRecord {
  /** When the key was created (ISO 8601). */
  createdAt: string;
  /** When the key was revoked (ISO 8601); a revoked key no longer authenticates. */
  revokedAt?: string;
}

/**
 * Where API keys created through the API are kept. Implemented by each store adapter (as
 * `ExecutionStore.apiKeys`) and checked by `@spane/store-testkit`.
 */
export interface ApiKeyRecordStore {
  /**
   * Saves a new key and returns it as stored: what was given (absent optional fields stay
   * absent; `expiresAt` as `Date#toISOString` writes it) and `createdAt` from the store's
   * clock.
   * @throws InvalidArgumentError when the id or hash exists already, or `expiresAt` is
   * not a date.
   */
  createApiKey(record: NewApiKeyRecord): Promise<ApiKeyRecord>;
  /** The key with this hash (also when revoked or expired: the caller decides), or null. */
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** The tenant's keys (revoked and expired ones too), newest first (by creation order). */
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /**
   * Marks the tenant's key revoked. True when it was active until now; false when unknown,
   * another tenant's, or already revoked.
   */
  revokeApiKey(id: string, tenantId: string): Promise<boolean>;
}

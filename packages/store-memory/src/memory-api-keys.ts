import {
  type ApiKeyRecord,
  type ApiKeyRecordStore,
  InvalidArgumentError,
  type NewApiKeyRecord,
} from '@spane/core/store';

function copyOf(record: ApiKeyRecord): ApiKeyRecord {
  return { ...record, scopes: [...record.scopes] };
}

/**
 * API keys created through the API, in process memory (`store.apiKeys` of the in-memory
 * store): hashes only, never a key.
 */
export class MemoryApiKeys implements ApiKeyRecordStore {
  readonly #byId = new Map<string, ApiKeyRecord>();
  readonly #idByHash = new Map<string, string>();
  readonly #now: () => string;

  /** @param now - the time, as ISO-8601 text. */
  constructor(now: () => string) {
    this.#now = now;
  }

  async createApiKey(record: NewApiKeyRecord): Promise<ApiKeyRecord> {
    if (this.#byId.has(record.id)) {
      throw new InvalidArgumentError(`an API key with id '${record.id}' exists already`);
    }
    if (this.#idByHash.has(record.hash)) {
      throw new InvalidArgumentError('an API key with the same hash exists already');
    }
    const stored: ApiKeyRecord = { ...record, scopes: [...record.scopes], createdAt: this.#now() };
    if (record.expiresAt !== undefined) {
      const expires = Date.parse(record.expiresAt);
      if (Number.isNaN(expires)) {
        throw new InvalidArgumentError(`expiresAt: invalid date '${record.expiresAt}'`);
      }
      stored.expiresAt = new Date(expires).toISOString();
    }
    this.#byId.set(stored.id, stored);
    this.#idByHash.set(stored.hash, stored.id);
    return copyOf(stored);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const id = this.#idByHash.get(hash);
    return id === undefined ? null : copyOf(this.#byId.get(id)!);
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    // Map order is creation order; newest first.
    return [...this.#byId.values()]
      .filter((record) => record.tenantId === tenantId)
      .reverse()
      .map(copyOf);
  }

  async revokeApiKey(id: string, tenantId: string): Promise<boolean> {
    const record = this.#byId.get(id);
    if (!record || record.tenantId !== tenantId || record.revokedAt !== undefined) return false;
    record.revokedAt = this.#now();
    return true;
  }
}

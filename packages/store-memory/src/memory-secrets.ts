import {
  InvalidArgumentError,
  type NewSecretRecord,
  pageLimit,
  parseSecretCursor,
  SECRET_PAGE,
  type SecretInfo,
  type SecretPage,
  type SecretRecord,
  type SecretStore,
  type WrappedDataKey,
} from '@spane/core/store';

function infoOf({ ciphertext: _ciphertext, ...info }: SecretRecord): SecretInfo {
  return info;
}

/**
 * Encrypted secrets and wrapped data keys in process memory (`store.secrets` of the
 * in-memory store). Holds ciphertexts only; the values are encrypted by `SecretVault`
 * before they reach it. Lost when the process ends, like the rest of the store.
 */
export class MemorySecrets implements SecretStore {
  /** Data keys by tenant, oldest version first. */
  readonly #dataKeys = new Map<string, WrappedDataKey[]>();
  /** Secrets by tenant, then by name. */
  readonly #secrets = new Map<string, Map<string, SecretRecord>>();
  readonly #now: () => string;

  /** @param now - the time, as ISO-8601 text. */
  constructor(now: () => string) {
    this.#now = now;
  }

  async listDataKeys(tenantId: string): Promise<WrappedDataKey[]> {
    return (this.#dataKeys.get(tenantId) ?? []).map((key) => ({ ...key }));
  }

  async addDataKey(key: WrappedDataKey): Promise<boolean> {
    const keys = this.#dataKeys.get(key.tenantId) ?? [];
    if (keys.some((k) => k.version === key.version)) return false;
    keys.push({ ...key });
    keys.sort((a, b) => a.version - b.version);
    this.#dataKeys.set(key.tenantId, keys);
    return true;
  }

  async rewrapDataKey(
    tenantId: string,
    version: number,
    expectedMasterKeyId: string,
    next: { masterKeyId: string; wrappedKey: string },
  ): Promise<boolean> {
    const key = this.#dataKeys.get(tenantId)?.find((k) => k.version === version);
    if (!key || key.masterKeyId !== expectedMasterKeyId) return false;
    key.masterKeyId = next.masterKeyId;
    key.wrappedKey = next.wrappedKey;
    return true;
  }

  async listDataKeysNotWrappedBy(masterKeyId: string, limit: number): Promise<WrappedDataKey[]> {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidArgumentError(`limit must be a positive integer, got ${limit}`);
    }
    const found: WrappedDataKey[] = [];
    for (const keys of this.#dataKeys.values()) {
      for (const key of keys) {
        if (found.length >= limit) return found;
        if (key.masterKeyId !== masterKeyId) found.push({ ...key });
      }
    }
    return found;
  }

  async putSecret(record: NewSecretRecord): Promise<{ secret: SecretInfo; created: boolean }> {
    const byName = this.#secrets.get(record.tenantId) ?? new Map<string, SecretRecord>();
    this.#secrets.set(record.tenantId, byName);
    const now = this.#now();
    const before = byName.get(record.name);
    const stored: SecretRecord = {
      tenantId: record.tenantId,
      name: record.name,
      dataKeyVersion: record.dataKeyVersion,
      ciphertext: record.ciphertext,
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    byName.set(record.name, stored);
    return { secret: infoOf(stored), created: before === undefined };
  }

  async getSecret(tenantId: string, name: string): Promise<SecretRecord | null> {
    const found = this.#secrets.get(tenantId)?.get(name);
    return found ? { ...found } : null;
  }

  async listSecrets(
    tenantId: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<SecretPage> {
    const limit = pageLimit(options.limit, SECRET_PAGE);
    const after = parseSecretCursor(options.cursor);
    const names = [...(this.#secrets.get(tenantId)?.keys() ?? [])]
      .filter((name) => after === undefined || name > after)
      .sort();
    const page = names.slice(0, limit);
    const byName = this.#secrets.get(tenantId);
    const result: SecretPage = { items: page.map((name) => infoOf(byName!.get(name)!)) };
    if (names.length > limit) result.nextCursor = page[page.length - 1]!;
    return result;
  }

  async deleteSecret(tenantId: string, name: string): Promise<boolean> {
    return this.#secrets.get(tenantId)?.delete(name) ?? false;
  }
}

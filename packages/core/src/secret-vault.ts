import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidArgumentError, SecretNotFoundError } from './errors.js';
import type { MasterKey } from './master-keys.js';
import {
  checkSecretName,
  type SecretInfo,
  type SecretPage,
  type SecretStore,
  type WrappedDataKey,
} from './secret-store.js';

/** Largest secret value, in UTF-8 bytes: 64 KiB. */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM of `plain` with associated data `aad`: base64 of IV ‖ tag ‖ ciphertext. */
function seal(key: Uint8Array, plain: Uint8Array, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** Opens what {@link seal} made. @throws Error when the text, key or associated data do not match */
function open(key: Uint8Array, sealed: string, aad: string): Buffer {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('sealed text is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

// Associated data binds each ciphertext to where it belongs: a value copied to another
// tenant or name, or a data key copied to another tenant or version, does not decrypt.
const dataKeyAad = (tenantId: string, version: number) =>
  `spane.data-key.v1\u0000${tenantId}\u0000${version}`;
const valueAad = (tenantId: string, name: string, version: number) =>
  `spane.secret.v1\u0000${tenantId}\u0000${name}\u0000${version}`;

/** Options of {@link SecretVault}. */
export interface SecretVaultOptions {
  /** Master keys, current first (see `parseMasterKeys`); at least one. */
  masterKeys: readonly MasterKey[];
}

/**
 * Envelope encryption of secrets over any {@link SecretStore}: each tenant has data keys
 * (AES-256, random) wrapped by the current master key; each value is encrypted with
 * AES-256-GCM by the tenant's newest data key, with tenant, name and key version as
 * associated data, and records that version. The store sees only ciphertexts. Unwrapped
 * data keys are cached in the process. Master-key rotation (`rotate`) re-wraps data keys
 * with compare-and-set while every process keeps reading, as long as each one is given
 * both the new and the old master key.
 */
export class SecretVault {
  readonly #store: SecretStore;
  readonly #masterKeys: ReadonlyMap<string, Uint8Array>;
  readonly #current: MasterKey;
  /** Unwrapped data keys by tenant, then version. */
  readonly #dataKeys = new Map<string, Map<number, Uint8Array>>();

  constructor(store: SecretStore, options: SecretVaultOptions) {
    const keys = options?.masterKeys ?? [];
    if (keys.length === 0) throw new InvalidArgumentError('a SecretVault needs a master key');
    for (const key of keys) {
      if (!(key.key instanceof Uint8Array) || key.key.length !== 32) {
        throw new InvalidArgumentError(`master key '${key.id}' must be 32 bytes`);
      }
    }
    this.#store = store;
    this.#current = keys[0]!;
    this.#masterKeys = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** Id of the master key that wraps new data keys. */
  get currentMasterKeyId(): string {
    return this.#current.id;
  }

  /**
   * Saves (or replaces) a secret's value, encrypted by the tenant's newest data key
   * (created on first use).
   * @throws InvalidArgumentError for a bad name or an empty or too large value
   */
  async set(
    tenantId: string,
    name: string,
    value: string,
  ): Promise<{ secret: SecretInfo; created: boolean }> {
    checkSecretName(name);
    if (typeof value !== 'string' || value.length === 0) {
      throw new InvalidArgumentError('a secret value must be a non-empty string');
    }
    const plain = Buffer.from(value, 'utf8');
    if (plain.length > MAX_SECRET_VALUE_BYTES) {
      throw new InvalidArgumentError(
        `a secret value may have at most ${MAX_SECRET_VALUE_BYTES} bytes, got ${plain.length}`,
      );
    }
    const { version, key } = await this.#newestDataKey(tenantId);
    const ciphertext = seal(key, plain, valueAad(tenantId, name, version));
    return this.#store.putSecret({ tenantId, name, dataKeyVersion: version, ciphertext });
  }

  /** The value of a secret, or null when the tenant has none of that name. */
  async reveal(tenantId: string, name: string): Promise<string | null> {
    const record = await this.#store.getSecret(tenantId, name);
    if (!record) return null;
    const key = await this.#dataKey(tenantId, record.dataKeyVersion);
    const aad = valueAad(tenantId, name, record.dataKeyVersion);
    return open(key, record.ciphertext, aad).toString('utf8');
  }

  /** The value of a secret. @throws SecretNotFoundError when the tenant has none of that name */
  async require(tenantId: string, name: string): Promise<string> {
    const value = await this.reveal(tenantId, name);
    if (value === null) throw new SecretNotFoundError(name);
    return value;
  }

  /** The tenant's secrets by name: names, key versions and timestamps, never values. */
  list(tenantId: string, options?: { limit?: number; cursor?: string }): Promise<SecretPage> {
    return this.#store.listSecrets(tenantId, options);
  }

  /** Removes a secret; true when it existed. */
  delete(tenantId: string, name: string): Promise<boolean> {
    return this.#store.deleteSecret(tenantId, name);
  }

  /**
   * Starts a new data key for the tenant: values saved from now on use it; older values
   * keep theirs until saved again. Returns the new version.
   */
  async rotateDataKey(tenantId: string): Promise<number> {
    const keys = await this.#store.listDataKeys(tenantId);
    const version = (keys.at(-1)?.version ?? 0) + 1;
    await this.#addDataKey(tenantId, version);
    return version;
  }

  /**
   * Re-wraps every data key not wrapped by the current master key, in batches; safe to run
   * while other processes read and write, and from several processes at once. Returns how
   * many keys this call re-wrapped. Afterwards the old master keys can be dropped.
   */
  async rotate(options: { batchSize?: number } = {}): Promise<{ rewrapped: number }> {
    const batchSize = options.batchSize ?? 100;
    let rewrapped = 0;
    const failed = new Set<string>();
    for (;;) {
      const batch = (
        await this.#store.listDataKeysNotWrappedBy(this.#current.id, batchSize + failed.size)
      ).filter((key) => !failed.has(`${key.tenantId}\u0000${key.version}`));
      if (batch.length === 0) return { rewrapped };
      for (const stored of batch) {
        const plain = this.#unwrap(stored);
        const wrappedKey = seal(
          this.#current.key,
          plain,
          dataKeyAad(stored.tenantId, stored.version),
        );
        const next = { masterKeyId: this.#current.id, wrappedKey };
        if (
          await this.#store.rewrapDataKey(stored.tenantId, stored.version, stored.masterKeyId, next)
        ) {
          rewrapped += 1;
        } else {
          // Another process re-wrapped it first; if it is still not current, skip it here.
          failed.add(`${stored.tenantId}\u0000${stored.version}`);
        }
      }
    }
  }

  async #newestDataKey(tenantId: string): Promise<{ version: number; key: Uint8Array }> {
    let keys = await this.#store.listDataKeys(tenantId);
    if (keys.length === 0) {
      await this.#addDataKey(tenantId, 1);
      keys = await this.#store.listDataKeys(tenantId);
    }
    const newest = keys.at(-1)!;
    return { version: newest.version, key: this.#cache(newest) };
  }

  async #addDataKey(tenantId: string, version: number): Promise<void> {
    const key = randomBytes(32);
    const wrappedKey = seal(this.#current.key, key, dataKeyAad(tenantId, version));
    const createdAt = new Date().toISOString();
    // false: a concurrent caller created this version first; its key is the one to use.
    await this.#store.addDataKey({
      tenantId,
      version,
      masterKeyId: this.#current.id,
      wrappedKey,
      createdAt,
    });
  }

  async #dataKey(tenantId: string, version: number): Promise<Uint8Array> {
    const cached = this.#dataKeys.get(tenantId)?.get(version);
    if (cached) return cached;
    const stored = (await this.#store.listDataKeys(tenantId)).find((k) => k.version === version);
    if (!stored) throw new Error(`data key ${version} of tenant '${tenantId}' is missing`);
    return this.#cache(stored);
  }

  #cache(stored: WrappedDataKey): Uint8Array {
    const byVersion = this.#dataKeys.get(stored.tenantId) ?? new Map<number, Uint8Array>();
    this.#dataKeys.set(stored.tenantId, byVersion);
    let key = byVersion.get(stored.version);
    if (!key) {
      key = this.#unwrap(stored);
      byVersion.set(stored.version, key);
    }
    return key;
  }

  #unwrap(stored: WrappedDataKey): Uint8Array {
    const master = this.#masterKeys.get(stored.masterKeyId);
    if (!master) {
      throw new Error(
        `data key ${stored.version} of tenant '${stored.tenantId}' is wrapped by master key '${stored.masterKeyId}', which this process was not given`,
      );
    }
    return open(master, stored.wrappedKey, dataKeyAad(stored.tenantId, stored.version));
  }
}

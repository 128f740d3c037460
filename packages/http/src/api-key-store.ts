import { createHash, timingSafeEqual } from 'node:crypto';
import { ID_PATTERN, InvalidArgumentError } from '@spane/core';

/** What a key may do. `admin` implies every scope; the others imply nothing. */
export type ApiScope = 'read' | 'execute' | 'admin';

/** Every scope, in order: `read`, `execute`, `admin`. */
export const API_SCOPES: readonly ApiScope[] = Object.freeze(['read', 'execute', 'admin']);

/** Who a presented key belongs to. */
export interface ApiKeyIdentity {
  /** The tenant every call made with the key is scoped to. */
  tenantId: string;
  /** What the key may do. */
  scopes: readonly ApiScope[];
}

interface StoredKey extends ApiKeyIdentity {
  hash: Buffer;
}

/** Shortest accepted key: enough entropy that guessing is not an attack. */
export const MIN_KEY_LENGTH = 16;
const MAX_KEY_LENGTH = 512;
const KEY_PATTERN = /^[A-Za-z0-9._~+/=-]+$/;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * API keys with a tenant and scopes. Only SHA-256 hashes of the keys are kept; a lookup
 * hashes the presented key and compares it with every stored hash in constant time
 * (`crypto.timingSafeEqual`, no early exit), so neither the keys nor the time taken
 * reveal which key came close.
 */
export class ApiKeyStore {
  readonly #keys: StoredKey[] = [];

  /**
   * A store from `key:tenant:scope+scope` entries, given as an array or as one
   * comma-separated string (blank entries ignored).
   * @throws InvalidArgumentError naming the bad entry by position (never the key itself)
   */
  static parse(entries: string | readonly string[]): ApiKeyStore {
    const list = typeof entries === 'string' ? entries.split(',') : entries;
    const store = new ApiKeyStore();
    let position = 0;
    for (const raw of list) {
      position += 1;
      const entry = raw.trim();
      if (entry === '') continue;
      const parts = entry.split(':');
      if (parts.length !== 3) {
        throw new InvalidArgumentError(
          `API key entry #${position} must look like key:tenant:scope+scope`,
        );
      }
      const [key, tenantId, scopes] = parts as [string, string, string];
      try {
        store.add(key, tenantId, scopes.split('+') as ApiScope[]);
      } catch (err) {
        throw new InvalidArgumentError(`API key entry #${position}: ${(err as Error).message}`);
      }
    }
    return store;
  }

  /**
   * Adds a key. Keys are at least {@link MIN_KEY_LENGTH} characters of
   * `A-Z a-z 0-9 . _ ~ + / = -`; tenants follow the id rules of workflow ids.
   * @throws InvalidArgumentError for a bad key, tenant or scope, or a key added twice
   */
  add(key: string, tenantId: string, scopes: readonly ApiScope[]): this {
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH || key.length > MAX_KEY_LENGTH) {
      throw new InvalidArgumentError(
        `a key must be ${MIN_KEY_LENGTH} to ${MAX_KEY_LENGTH} characters long`,
      );
    }
    if (!KEY_PATTERN.test(key)) {
      throw new InvalidArgumentError('a key may use only A-Z a-z 0-9 . _ ~ + / = -');
    }
    if (typeof tenantId !== 'string' || !ID_PATTERN.test(tenantId) || tenantId.length > 128) {
      throw new InvalidArgumentError(
        `tenant '${String(tenantId)}' must be 1-128 characters of A-Z a-z 0-9 _ . -`,
      );
    }
    if (!Array.isArray(scopes) || scopes.length === 0) {
      throw new InvalidArgumentError('a key needs at least one scope (read, execute, admin)');
    }
    for (const scope of scopes) {
      if (!API_SCOPES.includes(scope)) {
        throw new InvalidArgumentError(
          `unknown scope '${String(scope)}' (expected read, execute or admin)`,
        );
      }
    }
    const hash = sha256(key);
    if (this.#find(hash)) throw new InvalidArgumentError('the same key is configured twice');
    this.#keys.push({ hash, tenantId, scopes: Object.freeze([...new Set(scopes)]) });
    return this;
  }

  /** Number of keys. */
  get size(): number {
    return this.#keys.length;
  }

  /** The identity of a presented key, or null when it is not one of the stored keys. */
  authenticate(presented: string): ApiKeyIdentity | null {
    if (typeof presented !== 'string' || presented.length === 0) return null;
    // Hashing first makes every comparison 32 bytes, whatever was presented.
    const found = this.#find(sha256(presented));
    return found ? { tenantId: found.tenantId, scopes: found.scopes } : null;
  }

  #find(hash: Buffer): StoredKey | undefined {
    let found: StoredKey | undefined;
    for (const entry of this.#keys) {
      // No early exit: every stored hash is compared.
      if (timingSafeEqual(entry.hash, hash) && found === undefined) found = entry;
    }
    return found;
  }
}

/** True when an identity's scopes allow `needed` (`admin` allows everything). */
export function hasScope(identity: ApiKeyIdentity, needed: ApiScope): boolean {
  return identity.scopes.includes('admin') || identity.scopes.includes(needed);
}

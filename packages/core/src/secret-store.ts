/**
 * Persistence of encrypted secrets. A store adapter keeps opaque ciphertexts and wrapped
 * data keys; it never sees a secret's value or an unwrapped key. Encryption, unwrapping
 * and rotation live in `SecretVault`, the same for every store.
 */

import { InvalidArgumentError } from './errors.js';

/** A tenant's data key, encrypted ("wrapped") by a master key. */
export interface WrappedDataKey {
  /** Owner tenant. */
  tenantId: string;
  /** 1, 2, … per tenant; a value records the version that encrypted it. */
  version: number;
  /** Id of the master key that wrapped it (e.g. `v1`). */
  masterKeyId: string;
  /** base64 of IV (12 bytes) ‖ GCM tag (16 bytes) ‖ the encrypted 32-byte key. */
  wrappedKey: string;
  /** When the key was created (ISO 8601). */
  createdAt: string;
}

/** What a store needs to save a secret: its name and ciphertext, never its value. */
export interface NewSecretRecord {
  /** Owner tenant. */
  tenantId: string;
  /** The secret's name, unique per tenant. */
  name: string;
  /** Version of the tenant's data key that encrypted the value. */
  dataKeyVersion: number;
  /** base64 of IV (12 bytes) ‖ GCM tag (16 bytes) ‖ ciphertext. */
  ciphertext: string;
}

/** A stored secret as the store keeps it (ciphertext only). */
export interface SecretRecord extends NewSecretRecord {
  /** When the name was first saved (ISO 8601); kept when the value is replaced. */
  createdAt: string;
  /** When the value was last saved (ISO 8601). */
  updatedAt: string;
}

/** A secret as listings show it: name, data-key version and timestamps, never the value. */
export type SecretInfo = Omit<SecretRecord, 'ciphertext'>;

/** One page of {@link SecretStore.listSecrets}, by name. */
export interface SecretPage {
  /** Secrets of the tenant, by name ascending (byte order, as names are ASCII). */
  items: SecretInfo[];
  /**
   * Pass as `cursor` for the next page; absent on the last one. It is the page's last name
   * (read back with {@link parseSecretCursor}).
   */
  nextCursor?: string;
}

/** Secrets per page of `listSecrets`: default 100, at most 1,000. */
export const SECRET_PAGE = Object.freeze({ defaultLimit: 100, maxLimit: 1000 });

/**
 * Where encrypted secrets and wrapped data keys are kept. Implemented by each store
 * adapter (as `ExecutionStore.secrets`) and checked by `@spane/store-testkit`. Every
 * method is scoped by tenant: another tenant's name is simply not there.
 */
export interface SecretStore {
  /** Every data key of the tenant, oldest version first (empty when it has none). */
  listDataKeys(tenantId: string): Promise<WrappedDataKey[]>;
  /**
   * Saves a data key unless the tenant already has that version. True when saved; of
   * concurrent callers adding the same version exactly one receives true.
   */
  addDataKey(key: WrappedDataKey): Promise<boolean>;
  /**
   * Replaces the wrapping of `(tenantId, version)` if it is still wrapped by
   * `expectedMasterKeyId` (compare-and-set, for master-key rotation while other processes
   * read). True when replaced.
   */
  rewrapDataKey(
    tenantId: string,
    version: number,
    expectedMasterKeyId: string,
    next: { masterKeyId: string; wrappedKey: string },
  ): Promise<boolean>;
  /**
   * Up to `limit` data keys of any tenant wrapped by a master key other than `masterKeyId`
   * (in no promised order; a rotation re-wraps them and asks again until none are left).
   * @throws InvalidArgumentError when `limit` is not a positive integer.
   */
  listDataKeysNotWrappedBy(masterKeyId: string, limit: number): Promise<WrappedDataKey[]>;
  /**
   * Creates or replaces the named secret; `created` is true when the name was new. A
   * replacement keeps `createdAt` and sets `updatedAt` (timestamps are the store's clock).
   */
  putSecret(record: NewSecretRecord): Promise<{ secret: SecretInfo; created: boolean }>;
  /** The stored record, or null. */
  getSecret(tenantId: string, name: string): Promise<SecretRecord | null>;
  /**
   * The tenant's secrets by name ascending (byte order), after `cursor` (a page's
   * `nextCursor`, or any name: the page starts after it whether or not it exists). `limit`
   * defaults to 100; it is rounded down and kept within 1 and 1,000 (`pageLimit` with
   * {@link SECRET_PAGE}).
   * @throws InvalidArgumentError for a NaN or non-number limit, or a cursor
   * {@link parseSecretCursor} refuses.
   */
  listSecrets(tenantId: string, options?: { limit?: number; cursor?: string }): Promise<SecretPage>;
  /** Removes the named secret; true when it existed (exactly one of concurrent callers). */
  deleteSecret(tenantId: string, name: string): Promise<boolean>;
}

/** Longest secret name. */
export const MAX_SECRET_NAME_LENGTH = 128;
const SECRET_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks a secret name: 1–128 characters of `A-Z a-z 0-9 _ . -`.
 * @throws InvalidArgumentError naming the problem
 */
export function checkSecretName(name: unknown): asserts name is string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > MAX_SECRET_NAME_LENGTH ||
    !SECRET_NAME.test(name)
  ) {
    throw new InvalidArgumentError(
      `secret name '${String(name).slice(0, 140)}' must be 1-${MAX_SECRET_NAME_LENGTH} characters of A-Z a-z 0-9 _ . -`,
    );
  }
}

/**
 * Reads a cursor of {@link SecretStore.listSecrets} (the last name of the previous page);
 * undefined for no cursor. @throws InvalidArgumentError for anything but a secret name.
 */
export function parseSecretCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (
    typeof cursor !== 'string' ||
    cursor.length === 0 ||
    cursor.length > MAX_SECRET_NAME_LENGTH ||
    !SECRET_NAME.test(cursor)
  ) {
    throw new InvalidArgumentError(`invalid cursor '${String(cursor).slice(0, 140)}'`);
  }
  return cursor;
}

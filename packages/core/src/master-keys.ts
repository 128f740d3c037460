import { InvalidArgumentError } from './errors.js';

/** A key-encryption key: wraps the tenants' data keys. */
export interface MasterKey {
  /** Short id recorded with every key it wraps (1–32 characters of `A-Z a-z 0-9 _ . -`). */
  id: string;
  /** 32 bytes (AES-256). */
  key: Uint8Array;
}

const MASTER_KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** The 32 key bytes of a hex (64 digits) or base64 (44 characters) text. */
function keyBytes(text: string, position: number): Uint8Array {
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  if (BASE64_KEY.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw new InvalidArgumentError(
    `master key #${position} must be 32 bytes as 64 hex digits or 44 base64 characters`,
  );
}

/**
 * Master keys from text such as the `SPANE_MASTER_KEY` variable: comma-separated
 * `id:key` entries, the first being the current key (it wraps new data keys and, by
 * rotation, the old ones); the others are only read. A lone key without `id:` gets id `v1`.
 * Each key is 32 bytes, written as 64 hex digits or 44 base64 characters
 * (`openssl rand -base64 32`).
 * @throws InvalidArgumentError naming the bad entry by position (never the key)
 */
export function parseMasterKeys(text: string): MasterKey[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new InvalidArgumentError('no master key given');
  const keys: MasterKey[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? 'v1' : entry.slice(0, colon);
    const key = keyBytes(colon < 0 ? entry : entry.slice(colon + 1), index + 1);
    if (!MASTER_KEY_ID.test(id)) {
      throw new InvalidArgumentError(
        `master key #${index + 1}: id '${id}' must be 1-32 characters of A-Z a-z 0-9 _ . -`,
      );
    }
    if (keys.some((k) => k.id === id)) {
      throw new InvalidArgumentError(`master key #${index + 1}: id '${id}' is given twice`);
    }
    keys.push({ id, key });
  });
  return keys;
}

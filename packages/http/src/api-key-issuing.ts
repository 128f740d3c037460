import { createHash, randomBytes } from 'node:crypto';
import { type ApiKeyIdentity, type ApiScope, hasScope } from './api-key-store.js';
import { HttpError, invalidRequestError } from './http-errors.js';

/** What every key created through the API starts with, so it can be recognised (and grepped for). */
export const STORED_KEY_PREFIX = 'spane_';
/** How many characters of a key are kept in the clear, to tell keys apart in listings. */
export const STORED_KEY_SHOWN_CHARS = 12;
/** Longest lifetime of a key created through the API: 730 days (2 years). */
export const MAX_API_KEY_LIFETIME_MS = 730 * 24 * 3600 * 1000;

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
});

/** A new key with its public parts: what `POST /api/keys` shows once and what the store keeps. */
export interface GeneratedApiKey {
  /** `key_` and 16 random base64url characters: public, names the key in listings and revocations. */
  id: string;
  /** `spane_` and 32 random bytes as base64url (49 characters): shown once, never stored. */
  key: string;
  /** Lower-case hex SHA-256 of `key`: what the store keeps. */
  hash: string;
  /** The first {@link STORED_KEY_SHOWN_CHARS} characters of `key`. */
  prefix: string;
}

/** Lower-case hex SHA-256 of a presented key, as stored keys are looked up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Generates a key from 32 random bytes (`crypto.randomBytes`). */
export function generateApiKey(): GeneratedApiKey {
  const key = `${STORED_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return {
    id: `key_${randomBytes(12).toString('base64url')}`,
    key,
    hash: hashApiKey(key),
    prefix: key.slice(0, STORED_KEY_SHOWN_CHARS),
  };
}

/**
 * When a new key expires (ISO 8601), from `expiresIn` (`30d`, `12h`, `90m`, `2w`) or
 * `expiresAt`; undefined for a key that never expires.
 * @throws HttpError 400 for both given, a time not in the future, or one more than
 * {@link MAX_API_KEY_LIFETIME_MS} ahead
 */
export function expiryOf(
  body: { expiresIn?: string; expiresAt?: string },
  now = Date.now(),
): string | undefined {
  const { expiresIn, expiresAt } = body;
  if (expiresIn !== undefined && expiresAt !== undefined) {
    throw invalidRequestError('body', [
      { path: '/body/expiresAt', message: 'give expiresIn or expiresAt, not both' },
    ]);
  }
  let at: number;
  let path: string;
  if (expiresIn !== undefined) {
    const match = /^([1-9][0-9]{0,5})([mhdw])$/.exec(expiresIn);
    at = match ? now + Number(match[1]) * UNIT_MS[match[2]!]! : Number.NaN;
    path = '/body/expiresIn';
  } else if (expiresAt !== undefined) {
    at = Date.parse(expiresAt);
    path = '/body/expiresAt';
  } else {
    return undefined;
  }
  if (!Number.isFinite(at)) {
    throw invalidRequestError('body', [{ path, message: 'is not a duration or time' }]);
  }
  if (at <= now) throw invalidRequestError('body', [{ path, message: 'must be in the future' }]);
  if (at - now > MAX_API_KEY_LIFETIME_MS) {
    throw invalidRequestError('body', [{ path, message: 'must be at most 730 days ahead' }]);
  }
  return new Date(at).toISOString();
}

/** The key that asks to create another: what it may do and when it expires. */
export interface CreatingKey extends ApiKeyIdentity {
  /** Undefined for a key that never expires (a configured key, or a stored one without expiry). */
  expiresAt?: string | undefined;
}

/**
 * Refuses a key that could do more than the key creating it: a scope the creator lacks
 * (`admin` implies all), or a later expiry than the creator's own (a key that expires
 * could otherwise outlive itself through a key that does not).
 * @throws HttpError 403 `FORBIDDEN`
 */
export function checkNoEscalation(
  creator: CreatingKey,
  scopes: readonly ApiScope[],
  expiresAt: string | undefined,
): void {
  const missing = scopes.filter((scope) => !hasScope(creator, scope));
  if (missing.length > 0) {
    throw new HttpError(
      403,
      'FORBIDDEN',
      `A key cannot create a key with a scope it lacks itself (${missing.join(', ')})`,
    );
  }
  if (creator.expiresAt === undefined) return;
  if (expiresAt === undefined || Date.parse(expiresAt) > Date.parse(creator.expiresAt)) {
    throw new HttpError(
      403,
      'FORBIDDEN',
      `This key expires at ${creator.expiresAt}: the keys it creates must expire no later`,
    );
  }
}

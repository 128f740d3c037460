import { createHash } from 'node:crypto';
import { DEFAULT_TENANT } from '@spane/core';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { hashApiKey, STORED_KEY_PREFIX } from './api-key-issuing.js';
import { type ApiKeyIdentity, type ApiScope, hasScope } from './api-key-store.js';
import { HttpError } from './http-errors.js';
import type { SpaneHttpAuth } from './options.js';
import {
  DEFAULT_STORED_KEY_CACHE_MS,
  isStoredKeyInactive,
  StoredApiKeys,
} from './stored-api-keys.js';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="spane"' };
const ALL_SCOPES: readonly ApiScope[] = Object.freeze(['admin']);
/** Longest key looked up in the store; longer ones cannot be keys it holds. */
const MAX_STORED_KEY_LENGTH = 128;

/**
 * Where the key of a request comes from: the configuration (`keys`), the store (`stored`,
 * created through `POST /api/keys`), or nowhere (auth `disabled`).
 */
export type KeySource = 'configured' | 'stored' | 'disabled';

/** Who made an authenticated request. */
export interface AuthenticatedKey extends ApiKeyIdentity {
  source: KeySource;
  /** When a stored key expires (ISO 8601); undefined for keys that never do. */
  expiresAt?: string | undefined;
}

/**
 * Authenticates requests and remembers who made them. `require(scope)` is an `onRequest`
 * hook, so a request without the right key is refused before its body is read. Configured
 * keys are checked first (in memory, constant time); then a key that looks like one
 * created through the API (`spane_…`) is looked up by its SHA-256 hash in the store.
 */
export class RequestAuth {
  readonly #auth: SpaneHttpAuth;
  readonly #stored: StoredApiKeys | undefined;
  readonly #identities = new WeakMap<FastifyRequest, AuthenticatedKey>();
  readonly #keyIds = new WeakMap<FastifyRequest, string>();

  constructor(auth: SpaneHttpAuth) {
    this.#auth = auth;
    this.#stored =
      auth.mode === 'keys' && auth.stored
        ? new StoredApiKeys(auth.stored, auth.storedCacheMs ?? DEFAULT_STORED_KEY_CACHE_MS)
        : undefined;
  }

  /** The keys kept in the store, when there are (auth mode `keys` with `stored`). */
  get storedKeys(): StoredApiKeys | undefined {
    return this.#stored;
  }

  /** A hook that answers 401 without a valid key and 403 when the key lacks `scope`. */
  require(scope: ApiScope): onRequestAsyncHookHandler {
    return async (request) => {
      const identity = await this.#identify(request);
      if (!hasScope(identity, scope)) {
        throw new HttpError(403, 'FORBIDDEN', `This API key lacks the '${scope}' scope`);
      }
      this.#identities.set(request, identity);
    };
  }

  /** A hook that answers 401 without a valid key and asks for no scope (`GET /api/session`). */
  authenticated(): onRequestAsyncHookHandler {
    return async (request) => {
      this.#identities.set(request, await this.#identify(request));
    };
  }

  /** The tenant of an authenticated request (set by a `require` hook). */
  tenantOf(request: FastifyRequest): string {
    return this.keyOf(request).tenantId;
  }

  /** The key of an authenticated request (set by a `require` hook). */
  keyOf(request: FastifyRequest): AuthenticatedKey {
    const identity = this.#identities.get(request);
    // Every route that calls this has a `require` hook; reaching here without one is a bug.
    if (!identity) throw new Error('keyOf called on a request without an auth hook');
    return identity;
  }

  /** True when the authenticated request's key has `scope` (set by a `require` hook). */
  allows(request: FastifyRequest, scope: ApiScope): boolean {
    const identity = this.#identities.get(request);
    return identity !== undefined && hasScope(identity, scope);
  }

  /**
   * A stable id of the API key a request was authenticated with (a SHA-256 prefix, never
   * the key), for per-key rate limits; undefined before authentication or with auth disabled.
   */
  keyIdOf(request: FastifyRequest): string | undefined {
    return this.#keyIds.get(request);
  }

  async #identify(request: FastifyRequest): Promise<AuthenticatedKey> {
    if (this.#auth.mode === 'disabled') {
      return { tenantId: DEFAULT_TENANT, scopes: ALL_SCOPES, source: 'disabled' };
    }
    const header = request.headers.authorization;
    if (typeof header !== 'string' || header === '') {
      throw new HttpError(401, 'UNAUTHORIZED', 'Missing Authorization: Bearer <API key>', {
        headers: CHALLENGE,
      });
    }
    const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
    const identity = presented === undefined ? null : await this.#authenticate(presented);
    if (!identity || presented === undefined) {
      throw new HttpError(401, 'UNAUTHORIZED', 'Invalid API key', { headers: CHALLENGE });
    }
    const keyId = createHash('sha256').update(presented, 'utf8').digest('hex').slice(0, 32);
    this.#keyIds.set(request, keyId);
    return identity;
  }

  /** The key's identity, or null for an unknown, revoked or expired key. @throws HttpError 503 */
  async #authenticate(presented: string): Promise<AuthenticatedKey | null> {
    if (this.#auth.mode !== 'keys') return null;
    const configured = this.#auth.keys.authenticate(presented);
    if (configured) return { ...configured, source: 'configured' };
    if (
      !this.#stored ||
      !presented.startsWith(STORED_KEY_PREFIX) ||
      presented.length > MAX_STORED_KEY_LENGTH
    ) {
      return null;
    }
    const record = await this.#stored.findByHash(hashApiKey(presented));
    if (!record || isStoredKeyInactive(record)) return null;
    return {
      tenantId: record.tenantId,
      scopes: Object.freeze([...record.scopes]),
      source: 'stored',
      expiresAt: record.expiresAt,
    };
  }
}

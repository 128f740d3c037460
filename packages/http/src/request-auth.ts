import { createHash } from 'node:crypto';
import { DEFAULT_TENANT } from '@spane/core';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { type ApiKeyIdentity, type ApiScope, hasScope } from './api-key-store.js';
import { HttpError } from './http-errors.js';
import type { SpaneHttpAuth } from './options.js';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="spane"' };
const ALL_SCOPES: readonly ApiScope[] = Object.freeze(['admin']);

/**
 * Authenticates requests and remembers who made them. `require(scope)` is an `onRequest`
 * hook, so a request without the right key is refused before its body is read.
 */
export class RequestAuth {
  readonly #auth: SpaneHttpAuth;
  readonly #identities = new WeakMap<FastifyRequest, ApiKeyIdentity>();
  readonly #keyIds = new WeakMap<FastifyRequest, string>();

  constructor(auth: SpaneHttpAuth) {
    this.#auth = auth;
  }

  /** A hook that answers 401 without a valid key and 403 when the key lacks `scope`. */
  require(scope: ApiScope): onRequestAsyncHookHandler {
    return async (request) => {
      const identity = this.#identify(request);
      if (!hasScope(identity, scope)) {
        throw new HttpError(403, 'FORBIDDEN', `This API key lacks the '${scope}' scope`);
      }
      this.#identities.set(request, identity);
    };
  }

  /** The tenant of an authenticated request (set by a `require` hook). */
  tenantOf(request: FastifyRequest): string {
    const identity = this.#identities.get(request);
    // Every route that calls this has a `require` hook; reaching here without one is a bug.
    if (!identity) throw new Error('tenantOf called on a request without an auth hook');
    return identity.tenantId;
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

  #identify(request: FastifyRequest): ApiKeyIdentity {
    if (this.#auth.mode === 'disabled') return { tenantId: DEFAULT_TENANT, scopes: ALL_SCOPES };
    const header = request.headers.authorization;
    if (typeof header !== 'string' || header === '') {
      throw new HttpError(401, 'UNAUTHORIZED', 'Missing Authorization: Bearer <API key>', {
        headers: CHALLENGE,
      });
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    const identity = match ? this.#auth.keys.authenticate(match[1]!) : null;
    if (!identity || !match) {
      throw new HttpError(401, 'UNAUTHORIZED', 'Invalid API key', { headers: CHALLENGE });
    }
    const keyId = createHash('sha256').update(match[1]!, 'utf8').digest('hex').slice(0, 32);
    this.#keyIds.set(request, keyId);
    return identity;
  }
}

import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import { InvalidArgumentError } from '@spane/core';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import type { RateLimitWindow, ResolvedRateLimit } from './rate-limit-options.js';
import { boundedRedisStore } from './rate-limit-store.js';
import type { RequestAuth } from './request-auth.js';

/** The error code of a 429 from the rate limits. */
export const RATE_LIMITED = 'RATE_LIMITED';

/** How often, at most, the limiter logs that it let requests through unlimited. */
const WARN_EVERY_MS = 30_000;

/** IPv6 clients are counted per /64, as one host usually holds a whole /64. */
const IPV6_SUBNET = 64;

type Limit = Awaited<ReturnType<ReturnType<FastifyInstance['createRateLimit']>>>;

/** Logs store failures at most once per {@link WARN_EVERY_MS}, with how many were not logged. */
function failOpenWarning(log: FastifyBaseLogger): (error: Error) => void {
  let last = 0;
  let unlogged = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < WARN_EVERY_MS) {
      unlogged += 1;
      return;
    }
    log.warn(
      { err: error, unloggedSinceLast: unlogged },
      'spane http: rate limits not enforced for this request (the limiter lets requests through while Redis does not answer)',
    );
    last = now;
    unlogged = 0;
  };
}

function tooMany(message: string, limit: Extract<Limit, { isAllowed: false }>): HttpError {
  const seconds = Math.max(1, limit.ttlInSeconds);
  return new HttpError(429, RATE_LIMITED, `${message}; retry in ${seconds} s`, {
    headers: { 'retry-after': String(seconds) },
  });
}

function describe(w: RateLimitWindow): string {
  return `at most ${w.max} per ${w.windowMs / 1000} s`;
}

function setHeaders(reply: FastifyReply, limit: Extract<Limit, { isAllowed: false }>): void {
  // A store that failed reports no window: no headers then.
  if (limit.ttl <= 0) return;
  reply.header('x-ratelimit-limit', limit.max);
  reply.header('x-ratelimit-remaining', limit.remaining);
  reply.header('x-ratelimit-reset', Math.max(1, limit.ttlInSeconds));
}

/**
 * Rate limits of the API with `@fastify/rate-limit` (`createRateLimit`, counters in Redis
 * when given): an IP with `failedAuth.max` failed authentications in its window answers 429
 * on every route until the window ends, before its key is checked (`onRequest`); then
 * each request counts against its API key (`perKey`) or, without one, its IP (`perIp`),
 * before its body is read (`preParsing`). A 401 `UNAUTHORIZED` counts against the IP
 * (`onError`). The health probes are never limited.
 */
export async function installRateLimits(
  app: FastifyInstance,
  limits: ResolvedRateLimit,
  auth: RequestAuth,
): Promise<void> {
  if (app.hasDecorator('createRateLimit')) {
    throw new InvalidArgumentError(
      'spaneHttp: @fastify/rate-limit is already registered around the API; register yours in a context of its own (a sibling of spaneHttp), or pass rateLimit: false to rely on it',
    );
  }
  const store = limits.redis
    ? boundedRedisStore(
        limits.redis,
        limits.prefix,
        limits.redisTimeoutMs,
        failOpenWarning(app.log),
      )
    : undefined;
  await app.register(rateLimit, { global: false, skipOnError: true, ...(store ? { store } : {}) });

  const ipOf = (request: FastifyRequest) => normalizeIP(request.ip, IPV6_SUBNET);
  const limiter = (name: string, w: RateLimitWindow, id: (request: FastifyRequest) => string) =>
    app.createRateLimit({
      max: w.max,
      timeWindow: w.windowMs,
      keyGenerator: (request) => `${name}:${id(request)}`,
    });
  const failedAuth = limiter('auth', limits.failedAuth, ipOf);
  const perIp = limiter('ip', limits.perIp, ipOf);
  const perKey = limiter('key', limits.perKey, (request) => auth.keyIdOf(request) ?? '-');
  const exempt = new Set([`${app.prefix}/health/live`, `${app.prefix}/health/ready`]);
  const isExempt = (request: FastifyRequest) => exempt.has(request.routeOptions.url ?? '');

  app.addHook('onRequest', async (request) => {
    if (isExempt(request)) return;
    const state = await failedAuth(request, { increment: false });
    // Blocked once the count reaches max (a peek only sees failures already counted).
    if (!state.isAllowed && state.ttl > 0 && state.remaining === 0) {
      throw tooMany(
        `Too many failed authentications from this address (${describe(limits.failedAuth)})`,
        state,
      );
    }
  });
  app.addHook('preParsing', async (request, reply, payload) => {
    if (isExempt(request)) return payload;
    const byKey = auth.keyIdOf(request) !== undefined;
    const state = byKey ? await perKey(request) : await perIp(request);
    if (state.isAllowed) return payload;
    setHeaders(reply, state);
    if (state.isExceeded) {
      throw tooMany(
        byKey
          ? `Too many requests with this API key (${describe(limits.perKey)})`
          : `Too many requests from this address (${describe(limits.perIp)})`,
        state,
      );
    }
    return payload;
  });
  app.addHook('onError', async (request, _reply, error) => {
    if (error instanceof HttpError && error.code === 'UNAUTHORIZED') await failedAuth(request);
  });
}

import { InvalidArgumentError } from '@spane/core';
import type { Cluster, Redis } from 'ioredis';
import { TIMED_OUT, within } from './bounded-wait.js';
import type { EngineLogger } from './engine-options.js';
import { isClusterClient } from './redis-cluster.js';

/** What the engine learned of one Redis server's configuration at start. */
export interface RedisServerSettings {
  /** `maxmemory-policy`, from CONFIG GET or else INFO memory; undefined when neither answered. */
  maxmemoryPolicy: string | undefined;
  /** Whether AOF or RDB save points are on; undefined when CONFIG GET is refused (managed Redis). */
  persistence: boolean | undefined;
}

/** What {@link checkRedisServers} needs. */
export interface RedisServerCheckContext {
  redis: Redis | Cluster;
  logger: EngineLogger;
  /** Refuse (rather than warn about) a `maxmemory-policy` other than `noeviction`. */
  requireNoEviction: boolean;
  /** Bound of each server call (ms). */
  timeoutMs: number;
}

/**
 * Reads `maxmemory-policy` and persistence of the Redis server (each master of a Cluster)
 * and logs a warning for a policy other than `noeviction` (Redis would then drop queue
 * keys under memory pressure: jobs and locks lost) and for persistence off (no AOF and no
 * RDB save points: a restart loses every queued job). A server that refuses CONFIG (as
 * managed services do) is asked INFO for the policy; what neither tells is skipped with a
 * debug line, as is a server that does not answer within `timeoutMs`. Each warning is
 * logged once per server (`host:port`) per process. Never throws for Redis errors.
 * @returns the error to refuse the engine's calls with (`InvalidArgumentError`) when
 * `requireNoEviction` is set and a server's policy is known and not `noeviction`
 */
export async function checkRedisServers(
  ctx: RedisServerCheckContext,
): Promise<InvalidArgumentError | undefined> {
  const nodes = isClusterClient(ctx.redis)
    ? await masters(ctx.redis, ctx.timeoutMs).catch((err: Error) => {
        ctx.logger.debug('could not list the Redis Cluster masters', { error: err.message });
        return [];
      })
    : [ctx.redis];
  const servers = nodes.map((client) => ({ client, server: address(client) }));
  let refusal: InvalidArgumentError | undefined;
  for (const { client, server } of servers) {
    const settings = await readSettings(client, ctx.timeoutMs).catch((err: Error) => {
      ctx.logger.debug('could not read the Redis configuration', { server, error: err.message });
      return undefined;
    });
    if (settings) refusal ??= judge(server, settings, ctx);
  }
  return refusal;
}

/** `host:port` (or the socket path) of a connection's server. */
function address(client: Redis): string {
  const { host, port, path } = client.options;
  return path ? path : `${host}:${port}`;
}

/** The masters of a Cluster, once its slots are known (at most `timeoutMs`). */
async function masters(cluster: Cluster, timeoutMs: number): Promise<Redis[]> {
  if (cluster.status !== 'ready') {
    await bounded(
      new Promise<void>((resolve) => cluster.once('ready', () => resolve())),
      timeoutMs,
    );
  }
  return cluster.nodes('master');
}

/**
 * Servers already warned about in this process (`server` + what): engines sharing a
 * server warn once, not each.
 */
const warned = new Set<string>();

/** Logs `message` as a warning unless this process already did for `server`. */
function warnOnce(ctx: RedisServerCheckContext, server: string, message: string, meta: object) {
  const key = `${server}\u0000${message}`;
  if (warned.has(key)) return;
  warned.add(key);
  ctx.logger.warn(message, { server, ...meta });
}

/** Logs what is wrong with one server's settings; the refusal, if any. */
function judge(
  server: string,
  s: RedisServerSettings,
  ctx: RedisServerCheckContext,
): InvalidArgumentError | undefined {
  if (s.persistence === false) {
    warnOnce(
      ctx,
      server,
      'Redis persistence is off (no AOF, no RDB save points): a Redis restart loses every queued node job',
      {},
    );
  } else if (s.persistence === undefined) {
    ctx.logger.debug('Redis persistence unknown (CONFIG GET refused)', { server });
  }
  const policy = s.maxmemoryPolicy;
  if (policy === undefined) {
    ctx.logger.debug('Redis maxmemory-policy unknown (CONFIG GET and INFO refused)', { server });
    return undefined;
  }
  if (policy === 'noeviction') return undefined;
  const message = `Redis maxmemory-policy is '${policy}', not 'noeviction': under memory pressure Redis may evict queue keys (jobs, locks) and lose work`;
  if (!ctx.requireNoEviction) {
    warnOnce(ctx, server, message, { maxmemoryPolicy: policy });
    return undefined;
  }
  ctx.logger.error(`${message}; refused (requireNoEviction)`, { server });
  return new InvalidArgumentError(`${message} (requireNoEviction is set)`, {
    server,
    maxmemoryPolicy: policy,
  });
}

/** `promise`'s value. @throws Error when it does not settle within `ms` */
async function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  const value = await within(promise, ms);
  if (value === TIMED_OUT) throw new Error(`no answer within ${ms} ms`);
  return value;
}

/** One server's settings: CONFIG GET, else (CONFIG refused) INFO memory for the policy. */
async function readSettings(client: Redis, timeoutMs: number): Promise<RedisServerSettings> {
  const asked = client.config('GET', 'maxmemory-policy', 'appendonly', 'save') as Promise<string[]>;
  const config = await bounded(
    asked.catch((err: Error) => err),
    timeoutMs,
  );
  if (!(config instanceof Error)) {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < config.length; i += 2) map.set(config[i]!, config[i + 1]!);
    const aof = map.get('appendonly');
    const save = map.get('save');
    return {
      maxmemoryPolicy: map.get('maxmemory-policy'),
      persistence:
        aof === undefined || save === undefined ? undefined : aof === 'yes' || save.trim() !== '',
    };
  }
  const info = await bounded(client.info('memory'), timeoutMs);
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  return { maxmemoryPolicy: policy, persistence: undefined };
}

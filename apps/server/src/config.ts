import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { prefixHashTag, type TenantQuotaOptions } from '@spane/bullmq';
import type { BreakerOptions } from '@spane/core';
import { ApiKeyStore, resolveServerLimits, type SpaneServerLimits } from '@spane/http';
import { AddressPolicy } from './address-policy.js';
import { httpBreakerConfig } from './http-breaker-config.js';
import { type MasterKeyConfig, masterKeyConfig } from './master-key.js';
import { quotaConfig } from './quota-config.js';
import {
  type RateLimitConfig,
  rateLimitConfig,
  type TrustProxy,
  trustProxyConfig,
} from './rate-limit-config.js';

/** What this process runs: the API and workers, the API only, or workers only. */
export type ServerRole = 'all' | 'api' | 'worker';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The server's settings, validated. Built from the environment by {@link loadConfig}. */
export interface ServerConfig {
  port: number;
  host: string;
  redisUrl: string;
  /**
   * `REDIS_CLUSTER=true`: `REDIS_URL` names a node of a Redis Cluster, and the prefix
   * holds a hash tag (`{spane}` by default).
   */
  redisCluster?: true;
  /** Prefix of every Redis key; processes that share it share work. */
  redisPrefix: string;
  /** Set: PostgreSQL store (migrations run at start); unset: memory store. */
  databaseUrl?: string;
  /** PostgreSQL schema of the store's tables. */
  databaseSchema: string;
  /**
   * `keys`: API keys as `key:tenant:scope+scope` entries (validated); none configured
   * means one admin key for tenant `default` is created at start and printed once.
   * `disabled`: no authentication (warned in the log).
   */
  auth: { mode: 'keys'; entries: string[] } | { mode: 'disabled' };
  workerConcurrency: number;
  role: ServerRole;
  /** Absolute path of a module whose default export registers node types. */
  nodesModule?: string;
  /** Hosts, IPs and CIDRs the `http` node may reach although they are private. */
  httpAllow: string[];
  /** The `http` node type's circuit breaker (`SPANE_HTTP_BREAKER`); none when unset. */
  httpBreaker?: BreakerOptions;
  logLevel: LogLevel;
  /** HTTP timeouts and the connection cap (`@spane/http`'s defaults unless set). */
  limits: Required<SpaneServerLimits>;
  /** The API's rate limits (`SPANE_RATE_LIMIT*`), counted in Redis. */
  rateLimit: RateLimitConfig;
  /** Fastify's `trustProxy` (`SPANE_TRUST_PROXY`): whose `X-Forwarded-For` gives the client IP. */
  trustProxy: TrustProxy;
  /** Where the master keys of secrets come from (`SPANE_MASTER_KEY`, `SPANE_MASTER_KEY_FILE`). */
  masterKey: MasterKeyConfig;
  /** Per-tenant quotas (`SPANE_QUOTA_*`), the engine's `quotas` option. */
  quotas: TenantQuotaOptions;
  /** `SPANE_UI`: serve the inspector (`@spane/ui`) at `/ui/` on API processes (on by default). */
  ui: boolean;
}

/** The environment is invalid; `problems` lists every one found, one message each. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const ROLES: readonly ServerRole[] = ['all', 'api', 'worker'];
const PREFIX_PATTERN = /^[A-Za-z0-9_.:{}-]{1,64}$/;
const SCHEMA_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]{0,62}$/;

function list(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

/**
 * Reads and checks the server's environment variables (see the README's table), reporting
 * every problem at once.
 * @throws ConfigError
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): ServerConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got '${raw}')`);
      return fallback;
    }
    return n;
  };
  const url = (name: string, fallback: string | undefined, protocols: string[]) => {
    const raw = get(name) ?? fallback;
    if (raw === undefined) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      // reported below
    }
    if (!parsed || !protocols.includes(parsed.protocol)) {
      // Never echo a URL: it may hold a password.
      problems.push(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
      return fallback;
    }
    return raw;
  };

  const port = integer('PORT', 3000, 0, 65_535);
  const host = get('HOST') ?? '127.0.0.1';
  const redisUrl =
    url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) ?? 'redis://127.0.0.1:6379';
  const clusterRaw = get('REDIS_CLUSTER')?.toLowerCase();
  if (clusterRaw !== undefined && !['true', 'false', '1', '0'].includes(clusterRaw)) {
    problems.push(`REDIS_CLUSTER must be true or false (got '${clusterRaw}')`);
  }
  const redisCluster = clusterRaw === 'true' || clusterRaw === '1';
  const redisPrefix = get('SPANE_REDIS_PREFIX') ?? (redisCluster ? '{spane}' : 'spane');
  if (!PREFIX_PATTERN.test(redisPrefix)) {
    problems.push(`SPANE_REDIS_PREFIX must be 1-64 characters of A-Z a-z 0-9 _ . : - { }`);
  } else if (redisCluster && prefixHashTag(redisPrefix) === undefined) {
    problems.push(
      `SPANE_REDIS_PREFIX must hold a hash tag with REDIS_CLUSTER (e.g. '{${redisPrefix}}'): every key in one slot`,
    );
  }
  const databaseUrl = url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']);
  const databaseSchema = get('DATABASE_SCHEMA') ?? 'public';
  if (!SCHEMA_PATTERN.test(databaseSchema)) {
    problems.push(
      `DATABASE_SCHEMA must be letters, digits, '_' or '$', not starting with a digit (got '${databaseSchema}')`,
    );
  }
  const workerConcurrency = integer('WORKER_CONCURRENCY', 10, 1, 1000);

  const roleRaw = get('SPANE_ROLE') ?? 'all';
  const role = (ROLES as readonly string[]).includes(roleRaw) ? (roleRaw as ServerRole) : 'all';
  if (role !== roleRaw) problems.push(`SPANE_ROLE must be all, api or worker (got '${roleRaw}')`);

  const levelRaw = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  const logLevel = (LOG_LEVELS as readonly string[]).includes(levelRaw)
    ? (levelRaw as LogLevel)
    : 'info';
  if (logLevel !== levelRaw) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got '${levelRaw}')`);
  }

  // ── authentication ──
  const authMode = get('SPANE_AUTH')?.toLowerCase() ?? 'keys';
  const keysInline = get('SPANE_API_KEYS');
  const keysFile = get('SPANE_API_KEYS_FILE');
  let entries: string[] = [];
  if (keysInline !== undefined && keysFile !== undefined) {
    problems.push('set SPANE_API_KEYS or SPANE_API_KEYS_FILE, not both');
  } else if (keysInline !== undefined) {
    entries = list(keysInline);
  } else if (keysFile !== undefined) {
    const path = resolve(cwd, keysFile);
    try {
      entries = list(readFileSync(path, 'utf8'));
    } catch (err) {
      problems.push(
        `SPANE_API_KEYS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  if (entries.length > 0) {
    try {
      ApiKeyStore.parse(entries);
    } catch (err) {
      problems.push(
        `${keysFile ? 'SPANE_API_KEYS_FILE' : 'SPANE_API_KEYS'}: ${(err as Error).message}`,
      );
    }
  }
  let auth: ServerConfig['auth'] = { mode: 'keys', entries };
  if (authMode === 'disabled') {
    auth = { mode: 'disabled' };
    if (entries.length > 0) {
      problems.push('SPANE_AUTH=disabled conflicts with the API keys that are configured');
    }
  } else if (authMode !== 'keys') {
    problems.push(`SPANE_AUTH must be 'keys' (the default) or 'disabled' (got '${authMode}')`);
  }

  const uiMode = get('SPANE_UI')?.toLowerCase() ?? 'enabled';
  if (uiMode !== 'enabled' && uiMode !== 'disabled') {
    problems.push(`SPANE_UI must be 'enabled' (the default) or 'disabled' (got '${uiMode}')`);
  }

  // ── HTTP limits ──
  const HOUR_MS = 3_600_000;
  const limitsRaw: SpaneServerLimits = {};
  const limitVars: [keyof SpaneServerLimits, string, number][] = [
    ['requestTimeoutMs', 'SPANE_REQUEST_TIMEOUT_MS', HOUR_MS],
    ['headersTimeoutMs', 'SPANE_HEADERS_TIMEOUT_MS', HOUR_MS],
    ['connectionTimeoutMs', 'SPANE_CONNECTION_TIMEOUT_MS', HOUR_MS],
    ['keepAliveTimeoutMs', 'SPANE_KEEP_ALIVE_TIMEOUT_MS', HOUR_MS],
    ['maxConnections', 'SPANE_MAX_CONNECTIONS', 1_000_000],
  ];
  for (const [key, name, max] of limitVars) {
    const value = integer(name, 0, 1, max); // 0: unset or invalid (then reported)
    if (value > 0) limitsRaw[key] = value;
  }
  let limits = resolveServerLimits();
  try {
    limits = resolveServerLimits(limitsRaw);
  } catch {
    problems.push('SPANE_HEADERS_TIMEOUT_MS must be at most SPANE_REQUEST_TIMEOUT_MS');
  }

  // ── node types ──
  let nodesModule: string | undefined;
  const nodesRaw = get('SPANE_NODES');
  if (nodesRaw !== undefined) {
    nodesModule = resolve(cwd, nodesRaw);
    if (!existsSync(nodesModule)) problems.push(`SPANE_NODES: no file at ${nodesModule}`);
  }
  const httpAllow = list(get('SPANE_HTTP_ALLOW') ?? '');
  try {
    AddressPolicy.parse(httpAllow);
  } catch (err) {
    problems.push(`SPANE_HTTP_ALLOW: ${(err as Error).message}`);
  }

  const httpBreaker = httpBreakerConfig(get, problems);
  const rateLimit = rateLimitConfig(get, problems);
  const trustProxy = trustProxyConfig(get, problems);
  const masterKey = masterKeyConfig(get, problems, cwd, databaseUrl !== undefined);
  const quotas = quotaConfig(get, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  const config: ServerConfig = {
    port,
    host,
    redisUrl,
    ...(redisCluster ? { redisCluster: true as const } : {}),
    redisPrefix,
    databaseSchema,
    auth,
    workerConcurrency,
    role,
    httpAllow,
    logLevel,
    limits,
    rateLimit,
    trustProxy,
    masterKey,
    quotas,
    ui: uiMode !== 'disabled',
  };
  if (databaseUrl !== undefined) config.databaseUrl = databaseUrl;
  if (nodesModule !== undefined) config.nodesModule = nodesModule;
  if (httpBreaker !== undefined) config.httpBreaker = httpBreaker;
  return config;
}

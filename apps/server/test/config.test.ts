import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SERVER_LIMITS } from '@spane/http';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ServerConfig } from '../src/index.js';

const KEY = 'config-test-key-0000001';
const dir = mkdtempSync(join(tmpdir(), 'spane-config-'));
const keysFile = join(dir, 'keys.txt');
writeFileSync(keysFile, `# operators\n${KEY}:acme:admin\nsecond-config-key-000001:acme:read\n`);
const nodesFile = join(dir, 'nodes.mjs');
writeFileSync(nodesFile, 'export default () => {};\n');
const HEX_KEY = 'ab'.repeat(32);
const B64_KEY = Buffer.alloc(32, 7).toString('base64');
const masterKeyFile = join(dir, 'master.key');
writeFileSync(masterKeyFile, `v2:${HEX_KEY}\nv1:${B64_KEY}\n`);

const defaults: ServerConfig = {
  port: 3000,
  host: '127.0.0.1',
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrefix: 'spane',
  databaseSchema: 'public',
  auth: { mode: 'keys', entries: [] },
  workerConcurrency: 10,
  role: 'all',
  httpAllow: [],
  logLevel: 'info',
  limits: { ...DEFAULT_SERVER_LIMITS },
  rateLimit: { enabled: true },
  trustProxy: false,
  masterKey: { source: 'ephemeral' },
  quotas: {},
  ui: true,
};

describe('loadConfig: valid environments', () => {
  it.each<[string, Record<string, string>, Partial<ServerConfig>]>([
    ['defaults', {}, {}],
    ['blank values count as unset', { PORT: '', HOST: ' ' }, {}],
    ['port and host', { PORT: '8080', HOST: '0.0.0.0' }, { port: 8080, host: '0.0.0.0' }],
    ['port 0 (any free port)', { PORT: '0' }, { port: 0 }],
    [
      'rediss URL',
      { REDIS_URL: 'rediss://:pw@redis.internal:6380/2' },
      { redisUrl: 'rediss://:pw@redis.internal:6380/2' },
    ],
    [
      'Postgres store',
      { DATABASE_URL: 'postgres://u:p@db:5432/spane', DATABASE_SCHEMA: 'spane_1' },
      {
        databaseUrl: 'postgres://u:p@db:5432/spane',
        databaseSchema: 'spane_1',
        // No master key configured: a key file beside the working directory.
        masterKey: { source: 'generated', path: join(dir, '.spane/master.key') },
      },
    ],
    [
      'a master key, without id',
      { SPANE_MASTER_KEY: HEX_KEY },
      {
        masterKey: {
          source: 'env',
          from: 'SPANE_MASTER_KEY',
          keys: [{ id: 'v1', key: Buffer.from(HEX_KEY, 'hex') }],
        },
      },
    ],
    [
      'two master keys, the current first',
      { SPANE_MASTER_KEY: `v2:${HEX_KEY},v1:${B64_KEY}` },
      {
        masterKey: {
          source: 'env',
          from: 'SPANE_MASTER_KEY',
          keys: [
            { id: 'v2', key: Buffer.from(HEX_KEY, 'hex') },
            { id: 'v1', key: Buffer.alloc(32, 7) },
          ],
        },
      },
    ],
    [
      'master keys from a file, one per line',
      { SPANE_MASTER_KEY_FILE: masterKeyFile, DATABASE_URL: 'postgres://db/spane' },
      {
        databaseUrl: 'postgres://db/spane',
        masterKey: {
          source: 'env',
          from: 'SPANE_MASTER_KEY_FILE',
          keys: [
            { id: 'v2', key: Buffer.from(HEX_KEY, 'hex') },
            { id: 'v1', key: Buffer.alloc(32, 7) },
          ],
        },
      },
    ],
    [
      'inline keys',
      { SPANE_API_KEYS: `${KEY}:acme:read+execute, other-config-key-00001:globex:admin` },
      {
        auth: {
          mode: 'keys',
          entries: [`${KEY}:acme:read+execute`, 'other-config-key-00001:globex:admin'],
        },
      },
    ],
    [
      'keys file with comments',
      { SPANE_API_KEYS_FILE: keysFile },
      {
        auth: {
          mode: 'keys',
          entries: [`${KEY}:acme:admin`, 'second-config-key-000001:acme:read'],
        },
      },
    ],
    ['auth disabled', { SPANE_AUTH: 'disabled' }, { auth: { mode: 'disabled' } }],
    [
      'worker role, concurrency',
      { SPANE_ROLE: 'worker', WORKER_CONCURRENCY: '50' },
      { role: 'worker', workerConcurrency: 50 },
    ],
    ['api role', { SPANE_ROLE: 'api' }, { role: 'api' }],
    ['inspector disabled', { SPANE_UI: 'disabled' }, { ui: false }],
    ['inspector enabled, any case', { SPANE_UI: 'Enabled' }, { ui: true }],
    ['nodes module', { SPANE_NODES: nodesFile }, { nodesModule: nodesFile }],
    [
      'http allow-list',
      { SPANE_HTTP_ALLOW: '10.0.0.0/8, internal.example.com,*.svc.cluster.local,::1,fd00::/8' },
      {
        httpAllow: ['10.0.0.0/8', 'internal.example.com', '*.svc.cluster.local', '::1', 'fd00::/8'],
      },
    ],
    ['log level, any case', { LOG_LEVEL: 'DEBUG' }, { logLevel: 'debug' }],
    ['redis prefix', { SPANE_REDIS_PREFIX: 'tenant-x:spane' }, { redisPrefix: 'tenant-x:spane' }],
    [
      'HTTP timeouts and connection cap',
      {
        SPANE_REQUEST_TIMEOUT_MS: '5000',
        SPANE_HEADERS_TIMEOUT_MS: '2000',
        SPANE_CONNECTION_TIMEOUT_MS: '20000',
        SPANE_KEEP_ALIVE_TIMEOUT_MS: '4000',
        SPANE_MAX_CONNECTIONS: '500',
      },
      {
        limits: {
          requestTimeoutMs: 5000,
          headersTimeoutMs: 2000,
          connectionTimeoutMs: 20_000,
          keepAliveTimeoutMs: 4000,
          maxConnections: 500,
        },
      },
    ],
    [
      'a request timeout below the default headers timeout shortens that too',
      { SPANE_REQUEST_TIMEOUT_MS: '3000' },
      { limits: { ...DEFAULT_SERVER_LIMITS, requestTimeoutMs: 3000, headersTimeoutMs: 3000 } },
    ],
    ['rate limits off', { SPANE_RATE_LIMIT: 'OFF' }, { rateLimit: { enabled: false } }],
    [
      'rate limits',
      {
        SPANE_RATE_LIMIT_PER_KEY: '3000/1m',
        SPANE_RATE_LIMIT_PER_IP: '100/10s',
        SPANE_RATE_LIMIT_FAILED_AUTH: '10/1h',
      },
      {
        rateLimit: {
          enabled: true,
          perKey: { max: 3000, windowMs: 60_000 },
          perIp: { max: 100, windowMs: 10_000 },
          failedAuth: { max: 10, windowMs: 3_600_000 },
        },
      },
    ],
    ['trust any proxy', { SPANE_TRUST_PROXY: 'true' }, { trustProxy: true }],
    [
      'trusted proxies',
      { SPANE_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8' },
      { trustProxy: ['10.0.0.0/8', '127.0.0.1', 'fd00::/8'] },
    ],
    [
      'quotas, one off, and per-tenant overrides',
      {
        SPANE_QUOTA_ACTIVE_EXECUTIONS: '500',
        SPANE_QUOTA_WORKFLOWS: 'off',
        SPANE_QUOTA_SCHEDULES: '0',
        SPANE_QUOTA_TENANTS: '{"acme":{"maxActiveExecutions":50000,"maxSchedules":false}}',
      },
      {
        quotas: {
          maxActiveExecutions: 500,
          maxWorkflows: false,
          maxSchedules: 0,
          tenants: { acme: { maxActiveExecutions: 50_000, maxSchedules: false } },
        },
      },
    ],
  ])('%s', (_name, env, expected) => {
    expect(loadConfig(env, dir)).toEqual({ ...defaults, ...expected });
  });
});

describe('loadConfig: invalid environments', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'port not a number',
      { PORT: 'http' },
      /PORT must be an integer from 0 to 65535 \(got 'http'\)/,
    ],
    ['port out of range', { PORT: '70000' }, /PORT must be an integer/],
    ['negative port', { PORT: '-1' }, /PORT must be an integer/],
    [
      'redis URL of another scheme',
      { REDIS_URL: 'http://127.0.0.1:6379' },
      /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
    ],
    ['redis URL that is no URL', { REDIS_URL: 'localhost:6379' }, /REDIS_URL must be/],
    [
      'database URL of another scheme',
      { DATABASE_URL: 'mysql://x' },
      /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    ['bad schema', { DATABASE_SCHEMA: '1abc' }, /DATABASE_SCHEMA must be/],
    [
      'zero workers',
      { WORKER_CONCURRENCY: '0' },
      /WORKER_CONCURRENCY must be an integer from 1 to 1000/,
    ],
    ['fractional workers', { WORKER_CONCURRENCY: '2.5' }, /WORKER_CONCURRENCY/],
    [
      'unknown role',
      { SPANE_ROLE: 'scheduler' },
      /SPANE_ROLE must be all, api or worker \(got 'scheduler'\)/,
    ],
    ['unknown log level', { LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of/],
    ['unknown auth mode', { SPANE_AUTH: 'off' }, /SPANE_AUTH must be 'keys'/],
    [
      'unknown inspector mode',
      { SPANE_UI: 'off' },
      /SPANE_UI must be 'enabled' \(the default\) or 'disabled' \(got 'off'\)/,
    ],
    [
      'auth disabled with keys',
      { SPANE_AUTH: 'disabled', SPANE_API_KEYS: `${KEY}:a:read` },
      /conflicts/,
    ],
    [
      'malformed key entry',
      { SPANE_API_KEYS: `${KEY}:acme` },
      /SPANE_API_KEYS: API key entry #1 must look like key:tenant:scope\+scope/,
    ],
    ['short key', { SPANE_API_KEYS: 'dev:default:admin' }, /16 to 512 characters/],
    ['unknown scope', { SPANE_API_KEYS: `${KEY}:acme:write` }, /unknown scope 'write'/],
    [
      'both key sources',
      { SPANE_API_KEYS: `${KEY}:a:read`, SPANE_API_KEYS_FILE: keysFile },
      /not both/,
    ],
    [
      'missing keys file',
      { SPANE_API_KEYS_FILE: 'nope.txt' },
      /SPANE_API_KEYS_FILE: cannot read .*nope\.txt \(ENOENT\)/,
    ],
    ['missing nodes module', { SPANE_NODES: './no-such-module.mjs' }, /SPANE_NODES: no file at/],
    [
      'a quota that is no integer',
      { SPANE_QUOTA_ACTIVE_EXECUTIONS: '-5' },
      /SPANE_QUOTA_ACTIVE_EXECUTIONS must be an integer from 0 to 1000000000, or 'off' \(got '-5'\)/,
    ],
    [
      'a quota too large',
      { SPANE_QUOTA_WORKFLOWS: '99999999999' },
      /SPANE_QUOTA_WORKFLOWS must be/,
    ],
    [
      'per-tenant quotas that are no JSON',
      { SPANE_QUOTA_TENANTS: '{acme' },
      /SPANE_QUOTA_TENANTS must be a JSON object/,
    ],
    [
      'a per-tenant quota of an unknown name',
      { SPANE_QUOTA_TENANTS: '{"acme":{"maxRuns":1}}' },
      /SPANE_QUOTA_TENANTS must be .*\(tenant 'acme' is not\)/,
    ],
    [
      'a per-tenant quota that is negative',
      { SPANE_QUOTA_TENANTS: '{"acme":{"maxWorkflows":-1}}' },
      /tenant 'acme' is not/,
    ],
    [
      'bad allow-list entry',
      { SPANE_HTTP_ALLOW: '10.0.0.0/33' },
      /SPANE_HTTP_ALLOW: '10.0.0.0\/33' is not a CIDR range/,
    ],
    [
      'allow-list entry that is no host',
      { SPANE_HTTP_ALLOW: 'bad_host!' },
      /is not a host name, an IP address or a CIDR range/,
    ],
    ['bad redis prefix', { SPANE_REDIS_PREFIX: 'has space' }, /SPANE_REDIS_PREFIX/],
    [
      'zero request timeout',
      { SPANE_REQUEST_TIMEOUT_MS: '0' },
      /SPANE_REQUEST_TIMEOUT_MS must be an integer from 1 to 3600000 \(got '0'\)/,
    ],
    [
      'connection cap that is no number',
      { SPANE_MAX_CONNECTIONS: 'many' },
      /SPANE_MAX_CONNECTIONS/,
    ],
    [
      'headers allowed longer than the whole request',
      { SPANE_REQUEST_TIMEOUT_MS: '1000', SPANE_HEADERS_TIMEOUT_MS: '2000' },
      /SPANE_HEADERS_TIMEOUT_MS must be at most SPANE_REQUEST_TIMEOUT_MS/,
    ],
    ['unknown rate-limit mode', { SPANE_RATE_LIMIT: 'yes' }, /SPANE_RATE_LIMIT must be 'on'/],
    [
      'rate limit without a window',
      { SPANE_RATE_LIMIT_PER_KEY: '1200' },
      /SPANE_RATE_LIMIT_PER_KEY must look like 1200\/60s/,
    ],
    ['zero requests', { SPANE_RATE_LIMIT_PER_IP: '0/60s' }, /SPANE_RATE_LIMIT_PER_IP/],
    ['window over a day', { SPANE_RATE_LIMIT_FAILED_AUTH: '5/25h' }, /at most 24h/],
    ['proxy that is no IP', { SPANE_TRUST_PROXY: 'proxy.internal' }, /SPANE_TRUST_PROXY must be/],
    ['proxy CIDR too wide', { SPANE_TRUST_PROXY: '10.0.0.0/33' }, /SPANE_TRUST_PROXY/],
    [
      'a master key of 31 bytes',
      { SPANE_MASTER_KEY: 'ab'.repeat(31) },
      /SPANE_MASTER_KEY: master key #1 must be 32 bytes/,
    ],
    [
      'the same master key id twice',
      { SPANE_MASTER_KEY: `k:${HEX_KEY},k:${B64_KEY}` },
      /SPANE_MASTER_KEY: master key #2: id 'k' is given twice/,
    ],
    [
      'both master key sources',
      { SPANE_MASTER_KEY: HEX_KEY, SPANE_MASTER_KEY_FILE: masterKeyFile },
      /SPANE_MASTER_KEY or SPANE_MASTER_KEY_FILE, not both/,
    ],
    [
      'missing master key file',
      { SPANE_MASTER_KEY_FILE: 'none.key' },
      /SPANE_MASTER_KEY_FILE: cannot read .*none\.key \(ENOENT\)/,
    ],
  ])('%s', (_name, env, message) => {
    let error: unknown;
    try {
      loadConfig(env, dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
  });

  it('reports every problem at once and never echoes a secret', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(
        {
          PORT: 'x',
          SPANE_ROLE: 'y',
          REDIS_URL: 'http://:hunter2@redis',
          SPANE_API_KEYS: `${KEY}:acme`,
          SPANE_MASTER_KEY: `v1:${HEX_KEY},v2:${HEX_KEY.slice(2)}`,
        },
        dir,
      );
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toHaveLength(5);
    expect(error?.message).not.toContain('hunter2');
    expect(error?.message).not.toContain(KEY);
    expect(error?.message).not.toContain(HEX_KEY.slice(2));
  });
});

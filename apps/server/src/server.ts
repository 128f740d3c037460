import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type EngineLogger, WorkflowEngine, type WorkflowEngineOptions } from '@spane/bullmq';
import { type ApiKeyRecordStore, NodeRegistry, type SecretVault } from '@spane/core';
import {
  ApiKeyStore,
  type SpaneHttpAuth,
  type SpaneHttpOptions,
  spaneConnectionCap,
  spaneHostCheck,
  spaneHttp,
  spaneServerOptions,
} from '@spane/http';
import { uiAssetsDir } from '@spane/ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { createExecutionStore } from './execution-store-factory.js';
import { toListenError } from './listen-error.js';
import { createSecretVault, resolveMasterKeys } from './master-key.js';
import { loadNodeModule } from './node-module.js';
import { registerBuiltInNodes } from './nodes/built-in-nodes.js';
import { redisClient } from './redis-connection.js';
import { RequestLogController, requestSerializer } from './request-log.js';
import { rootRoute, workerHealthRoutes } from './service-routes.js';

/** Options of {@link startServer} that are not configuration (mostly for tests). */
export interface StartOptions {
  /** Where log lines go (pino JSON, one per line). @defaultValue stdout */
  logStream?: { write(line: string): void };
  /** Prints the one-time generated API key. @defaultValue writes to stdout */
  print?: (text: string) => void;
  /** How long to wait for Redis at start before giving up. @defaultValue 10_000 */
  redisTimeoutMs?: number;
}

/** A started server. */
export interface RunningServer {
  /** `http://host:port` of the HTTP listener. */
  url: string;
  port: number;
  engine: WorkflowEngine;
  app: FastifyInstance;
  /** The secret vault behind `/api/secrets` and the engine; absent when the store keeps no secrets. */
  secrets?: SecretVault;
  /** The admin key created at start when auth is on and none was configured. */
  generatedApiKey?: string;
  /** `http://host:port/ui/`: the inspector, when this process serves it (API roles, `SPANE_UI` on). */
  inspectorUrl?: string;
  /** Graceful shutdown: stops HTTP, lets running nodes finish (engine grace), closes the store. Idempotent. */
  close(): Promise<void>;
}

function engineLogger(log: FastifyBaseLogger): EngineLogger {
  return {
    debug: (message, meta) => log.debug(meta ?? {}, message),
    info: (message, meta) => log.info(meta ?? {}, message),
    warn: (message, meta) => log.warn(meta ?? {}, message),
    error: (message, meta) => log.error(meta ?? {}, message),
  };
}

/** A URL safe to print: the password replaced. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(invalid URL)';
  }
}

async function waitForRedis(engine: WorkflowEngine, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await engine.checkHealth()).redis) return;
    if (Date.now() > deadline) {
      throw new Error(`cannot reach Redis at ${redact(url)} (waited ${timeoutMs} ms)`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The API's authentication: the configured keys, then those created through `/api/keys`
 * when the store keeps keys (`stored`); with no key configured, one generated admin key to
 * announce.
 */
function authFor(
  config: ServerConfig,
  stored: ApiKeyRecordStore | undefined,
): { auth: SpaneHttpAuth; generated?: string } {
  if (config.auth.mode === 'disabled') return { auth: { mode: 'disabled' } };
  const keys = ApiKeyStore.parse(config.auth.entries);
  const auth: SpaneHttpAuth = { mode: 'keys', keys, ...(stored ? { stored } : {}) };
  if (keys.size > 0) return { auth };
  const generated = `spane_${randomBytes(24).toString('base64url')}`;
  keys.add(generated, 'default', ['admin']);
  return { auth, generated };
}

function generatedKeyNotice(key: string, inspectorUrl: string | undefined): string {
  return [
    '',
    'No API key is configured (SPANE_API_KEYS), so this admin key for tenant "default" was',
    'created for this run. It is shown once and not stored; set SPANE_API_KEYS to keep one:',
    '',
    `    ${key}`,
    '',
    ...(inspectorUrl ? [`Sign in to the inspector at ${inspectorUrl} with it.`, ''] : []),
    '',
  ].join('\n');
}

/**
 * The routes of `config.role`: `GET /`, and the full API or (`worker`) the health probes.
 * Returns the admin key generated when the API needs one and none is configured.
 */
async function registerRoutes(
  app: FastifyInstance,
  config: ServerConfig,
  engine: WorkflowEngine,
  closers: (() => Promise<unknown>)[],
  secrets: SecretVault | undefined,
  storedKeys: ApiKeyRecordStore | undefined,
): Promise<string | undefined> {
  rootRoute(app, config.role, config.ui);
  if (config.role === 'worker') {
    workerHealthRoutes(app, engine);
    return undefined;
  }
  const { auth, generated } = authFor(config, storedKeys);
  await app.register(spaneHttp, {
    engine,
    auth,
    rateLimit: rateLimitOf(app, config, closers),
    ...(secrets ? { secrets } : {}),
    ...(config.ui ? { ui: { assetsDir: uiAssetsDir } } : {}),
  });
  return generated;
}

/**
 * The API's rate limits, counted in Redis under `<prefix>:ratelimit:` on a connection of
 * their own (closed with the server) that never queues a command while Redis is away:
 * the limiter then lets requests through rather than making them wait.
 */
function rateLimitOf(
  app: FastifyInstance,
  config: ServerConfig,
  closers: (() => Promise<unknown>)[],
): SpaneHttpOptions['rateLimit'] {
  if (!config.rateLimit.enabled) return false;
  const redis = redisClient(
    config,
    { connectionName: 'spane-rate-limit', enableOfflineQueue: false, maxRetriesPerRequest: 1 },
    { enableOfflineQueue: false },
  );
  redis.on('error', (err) => app.log.debug({ err }, 'rate-limit Redis connection'));
  closers.push(() => redis.quit().catch(() => redis.disconnect()));
  const { enabled: _, ...limits } = config.rateLimit;
  return { redis, prefix: `${config.redisPrefix}:ratelimit:`, ...limits };
}

/**
 * The engine's Redis: `REDIS_URL` (the engine connects and closes), or with `REDIS_CLUSTER`
 * a `Cluster` seeded by it, closed after the engine (a closer).
 */
function engineRedis(config: ServerConfig, closers: (() => Promise<unknown>)[]) {
  if (!config.redisCluster) return config.redisUrl;
  const cluster = redisClient(config);
  // The engine logs the connection's errors while it runs.
  cluster.on('error', () => {});
  closers.push(() => cluster.quit().catch(() => cluster.disconnect()));
  return cluster;
}

/** Listens on `config.port` (a busy port: a {@link ListenError}); returns the bound port. */
async function listen(app: FastifyInstance, config: ServerConfig): Promise<number> {
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    throw toListenError(err, config.host, config.port);
  }
  return (app.server.address() as AddressInfo).port;
}

/**
 * Starts SPANE from a validated configuration: the store (PostgreSQL with migrations, or
 * memory), the node registry (built-ins and SPANE_NODES), the engine on Redis, its workers
 * (roles `all` and `worker`, started once the port is open), and HTTP — `GET /` (an index),
 * one log line per request, and the full API (`all`, `api`) or only health probes
 * (`worker`). Anything that fails on the way is closed again before the error is thrown; a
 * port that cannot be opened is a {@link ListenError}.
 */
export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Fastify's own request lines (if any) without the values of key-like query parameters.
      serializers: { req: requestSerializer },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    // One line per request instead of two.
    logController: new RequestLogController(),
    // The API has its own body limit; this only bounds routes outside it.
    bodyLimit: 1024 * 1024,
    // Ids in paths may be up to 256 characters (the API's schemas check them).
    routerOptions: { maxParamLength: 256 },
    // Timeouts, parser and router errors in the API's error shape.
    ...spaneServerOptions(config.limits),
    trustProxy: config.trustProxy,
  });
  // Over the cap a connection gets a 503 UNAVAILABLE with Retry-After, not a silent close.
  spaneConnectionCap(app.server, config.limits.maxConnections);
  // Node's own Host check is off (spaneServerOptions): `GET /` and a worker's probes too.
  app.addHook('onRequest', spaneHostCheck);
  const closers: (() => Promise<unknown>)[] = [() => app.close()];
  /** Runs the shutdown steps in order; each may take at most `stepMs` when given. */
  const closeAll = async (stepMs?: number) => {
    for (const close of closers.splice(0)) {
      const step = close().catch((err: Error) => app.log.error({ err }, 'shutdown step failed'));
      if (stepMs === undefined) await step;
      else await Promise.race([step, new Promise((r) => setTimeout(r, stepMs).unref())]);
    }
  };
  try {
    const { store, kind } = await createExecutionStore(config);
    closers.push(() => store.close());
    const registry = new NodeRegistry();
    registerBuiltInNodes(registry, {
      httpAllow: config.httpAllow,
      ...(config.httpBreaker === undefined ? {} : { httpBreaker: config.httpBreaker }),
    });
    if (config.nodesModule !== undefined) {
      const added = await loadNodeModule(config.nodesModule, registry);
      app.log.info({ module: config.nodesModule, types: added }, 'node types loaded');
    }
    const masterKeys = resolveMasterKeys(config.masterKey, app.log);
    const { vault, rotation } = createSecretVault(store, masterKeys, app.log);
    // Before the store closes, the background re-wrapping (if any) ends or has failed.
    closers.splice(1, 0, () => rotation);
    // The engine resolves `{ "$secret": name }` references with it when a node runs.
    const engineOptions: WorkflowEngineOptions = {
      prefix: config.redisPrefix,
      logger: engineLogger(app.log.child({ component: 'engine' })),
      quotas: config.quotas,
      ...(vault ? { secrets: vault } : {}),
    };
    const engine = new WorkflowEngine(registry, store, engineRedis(config, closers), engineOptions);
    // After the HTTP server (which waits for requests in flight), before the store.
    closers.splice(1, 0, () => engine.close());
    await waitForRedis(engine, config.redisUrl, options.redisTimeoutMs ?? 10_000);
    const generatedApiKey = await registerRoutes(
      app,
      config,
      engine,
      closers,
      vault,
      store.apiKeys,
    );
    const port = await listen(app, config);
    // Workers start once the port is ours: a second process started by mistake on a busy
    // port exits before it takes any job.
    if (config.role !== 'api') await engine.startWorkers(config.workerConcurrency);
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    const inspectorUrl = config.ui && config.role !== 'worker' ? `${url}/ui/` : undefined;
    app.log.info(
      {
        role: config.role,
        store: kind,
        redis: redact(config.redisUrl),
        prefix: config.redisPrefix,
        workers: config.role === 'api' ? 0 : config.workerConcurrency,
        nodeTypes: engine.listNodeTypes().map((t) => t.type),
        ...(inspectorUrl ? { inspector: inspectorUrl } : {}),
      },
      'spane server started',
    );
    if (inspectorUrl) app.log.info(`inspector at ${inspectorUrl}`);
    if (generatedApiKey !== undefined) {
      (options.print ?? ((text: string) => process.stdout.write(text)))(
        generatedKeyNotice(generatedApiKey, inspectorUrl),
      );
    }
    let closing: Promise<void> | undefined;
    const server: RunningServer = {
      url,
      port,
      engine,
      app,
      close: () => {
        closing ??= closeAll();
        return closing;
      },
    };
    if (generatedApiKey !== undefined) server.generatedApiKey = generatedApiKey;
    if (inspectorUrl) server.inspectorUrl = inspectorUrl;
    if (vault) server.secrets = vault;
    return server;
  } catch (err) {
    // A start that failed (often: Redis unreachable) should not hang on closing what it opened.
    await closeAll(2_000);
    throw err;
  }
}

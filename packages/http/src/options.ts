import { resolve } from 'node:path';
import {
  type ApiKeyRecordStore,
  InvalidArgumentError,
  type IWorkflowEngine,
  type SecretVault,
} from '@spane/core';
import { ApiKeyStore } from './api-key-store.js';
import {
  type ResolvedRateLimit,
  resolveRateLimit,
  type SpaneRateLimitOptions,
} from './rate-limit-options.js';

/** How requests are authenticated. */
export type SpaneHttpAuth =
  /**
   * `Authorization: Bearer <key>` checked against `keys` (configured keys, in memory) and
   * then, when given, `stored` (keys created through `POST /api/keys`, looked up by SHA-256
   * hash and remembered for `storedCacheMs`); the key's tenant scopes every call.
   */
  | {
      mode: 'keys';
      /** The configured keys (e.g. from the environment); they manage keys of any tenant. */
      keys: ApiKeyStore;
      /**
       * Where keys created through the API are kept (`ExecutionStore.apiKeys`); without it
       * the `/api/keys` routes answer 409 `STORED_KEYS_DISABLED`.
       */
      stored?: ApiKeyRecordStore;
      /**
       * How long, in ms, a process remembers a stored key it looked up (and that a key was
       * not found): a revocation reaches the other processes within this time; 0 asks the
       * store on every request. @defaultValue 5_000
       */
      storedCacheMs?: number;
    }
  /** No authentication, every call in tenant `default`. For local development only; warned in the log. */
  | { mode: 'disabled' };

/** Where the inspector's built files are (`SpaneHttpOptions.ui`). */
export interface SpaneUiOptions {
  /**
   * The directory of the built inspector: `index.html` and `assets/` — `uiAssetsDir` of
   * `@spane/ui`. Read once when the plugin is registered.
   */
  assetsDir: string;
}

/** Options of the `spaneHttp` plugin. */
export interface SpaneHttpOptions {
  /** The engine the API drives (any `IWorkflowEngine`, e.g. `WorkflowEngine` of `@spane/bullmq`). */
  engine: IWorkflowEngine;
  /** How requests are authenticated: API keys, or explicitly disabled. */
  auth: SpaneHttpAuth;
  /** Largest request body, in bytes; larger ones answer 413. @defaultValue 2 MiB */
  bodyLimitBytes?: number;
  /** Serve Prometheus metrics at `/metrics`. @defaultValue true */
  metrics?: boolean;
  /** Deepest nesting of arrays and objects accepted in a JSON body; deeper answers 400. @defaultValue 64 */
  maxJsonDepth?: number;
  /** Serve the OpenAPI document at `/docs/json` and Swagger UI at `/docs`. @defaultValue true */
  docs?: boolean;
  /** Interval of SSE keep-alive comments (and of the state re-check behind them). @defaultValue 15_000 */
  sseHeartbeatMs?: number;
  /**
   * Per-key and per-IP rate limits, failed authentications limited harder (429
   * `RATE_LIMITED` with `Retry-After`); `false` turns them off. On by default, with
   * per-process counters unless `redis` is given. @defaultValue `{}` (the defaults)
   */
  rateLimit?: SpaneRateLimitOptions | false;
  /**
   * Where `/api/secrets` keeps values (e.g. `new SecretVault(store.secrets, { masterKeys })`).
   * Without it those routes answer 409 `SECRETS_DISABLED`. Pass the same vault to the engine,
   * which resolves `{ "$secret": name }` references with it.
   */
  secrets?: SecretVault;
  /**
   * Serve the inspector, a browser UI, at `/ui/` (`GET /ui` redirects there): the static
   * files of `assetsDir`, read once at registration (`{ assetsDir: uiAssetsDir }` with
   * `uiAssetsDir` of `@spane/ui`). The files need no key (they hold no data; the page asks
   * for one and sends it with each API call); the rate limits apply; they are not in the
   * OpenAPI document. A directory without `index.html` fails the registration
   * (`InvalidArgumentError`). Off when not given.
   */
  ui?: SpaneUiOptions;
}

export interface ResolvedHttpOptions {
  engine: IWorkflowEngine;
  auth: SpaneHttpAuth;
  bodyLimitBytes: number;
  metrics: boolean;
  maxJsonDepth: number;
  docs: boolean;
  sseHeartbeatMs: number;
  rateLimit: ResolvedRateLimit | false;
  secrets: SecretVault | undefined;
  ui: SpaneUiOptions | undefined;
}

/** Default of `SpaneHttpOptions.bodyLimitBytes`: 2 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** Default of `SpaneHttpOptions.maxJsonDepth`. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const ENGINE_METHODS = [
  'registerWorkflow',
  'getWorkflow',
  'listWorkflows',
  'listWorkflowVersions',
  'unregisterWorkflow',
  'enqueueWorkflow',
  'enqueueWorkflows',
  'getExecution',
  'getExecutionSummary',
  'listExecutions',
  'pauseWorkflow',
  'resumeWorkflow',
  'cancelWorkflow',
  'replayWorkflow',
  'getDLQItems',
  'getDLQItem',
  'retryDLQItem',
  'triggerWebhook',
  'getQueueStats',
  'getLogs',
  'getTrace',
  'checkHealth',
  'on',
] as const;

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`spaneHttp: ${name} must be a positive integer`);
  }
  return value;
}

const STORED_KEY_METHODS = [
  'createApiKey',
  'findApiKeyByHash',
  'listApiKeys',
  'revokeApiKey',
] as const;

function checkStoredKeys(auth: Extract<SpaneHttpAuth, { mode: 'keys' }>): void {
  if (auth.stored !== undefined) {
    const stored = auth.stored as unknown as Record<string, unknown> | null;
    const missing = STORED_KEY_METHODS.filter((m) => typeof stored?.[m] !== 'function');
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `spaneHttp: auth.stored must implement ApiKeyRecordStore (missing ${missing.join(', ')})`,
      );
    }
  }
  const ms = auth.storedCacheMs;
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0)) {
    throw new InvalidArgumentError('spaneHttp: auth.storedCacheMs must be an integer ≥ 0');
  }
}

const VAULT_METHODS = ['set', 'list', 'delete'] as const;

function checkSecrets(secrets: unknown): SecretVault | undefined {
  if (secrets === undefined) return undefined;
  const vault = secrets as Record<string, unknown> | null;
  if (
    typeof vault !== 'object' ||
    vault === null ||
    VAULT_METHODS.some((m) => typeof vault[m] !== 'function')
  ) {
    throw new InvalidArgumentError('spaneHttp: secrets must be a SecretVault (of @spane/core)');
  }
  return secrets as SecretVault;
}

function checkUi(ui: unknown): SpaneUiOptions | undefined {
  if (ui === undefined) return undefined;
  const dir = (ui as Partial<SpaneUiOptions> | null)?.assetsDir;
  if (typeof ui !== 'object' || ui === null || typeof dir !== 'string' || dir.trim() === '') {
    throw new InvalidArgumentError(
      "spaneHttp: ui must be { assetsDir } with the directory of the built inspector (uiAssetsDir of @spane/ui; build it with 'pnpm --filter @spane/ui build')",
    );
  }
  return { assetsDir: resolve(dir) };
}

/** Checks the plugin's options once, at registration. @throws InvalidArgumentError */
export function resolveHttpOptions(options: SpaneHttpOptions): ResolvedHttpOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('spaneHttp: options are required ({ engine, auth })');
  }
  const engine = options.engine as unknown as Record<string, unknown> | undefined;
  const missing = ENGINE_METHODS.filter((m) => typeof engine?.[m] !== 'function');
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `spaneHttp: engine must implement IWorkflowEngine (missing ${missing.join(', ')})`,
    );
  }
  const auth = options.auth as SpaneHttpAuth | undefined;
  if (auth?.mode === 'keys') {
    if (!(auth.keys instanceof ApiKeyStore)) {
      throw new InvalidArgumentError("spaneHttp: auth { mode: 'keys' } needs keys: ApiKeyStore");
    }
    checkStoredKeys(auth);
  } else if (auth?.mode !== 'disabled') {
    throw new InvalidArgumentError(
      "spaneHttp: auth must be { mode: 'keys', keys } or, explicitly, { mode: 'disabled' }",
    );
  }
  return {
    engine: options.engine,
    auth,
    bodyLimitBytes: positiveInt('bodyLimitBytes', options.bodyLimitBytes, DEFAULT_BODY_LIMIT_BYTES),
    metrics: options.metrics ?? true,
    maxJsonDepth: positiveInt('maxJsonDepth', options.maxJsonDepth, DEFAULT_MAX_JSON_DEPTH),
    docs: options.docs ?? true,
    sseHeartbeatMs: positiveInt('sseHeartbeatMs', options.sseHeartbeatMs, 15_000),
    rateLimit: resolveRateLimit(options.rateLimit),
    secrets: checkSecrets(options.secrets),
    ui: checkUi(options.ui),
  };
}

import { spaneHttp } from './spane-http.js';

export {
  type GeneratedApiKey,
  generateApiKey,
  hashApiKey,
  MAX_API_KEY_LIFETIME_MS,
  STORED_KEY_PREFIX,
} from './api-key-issuing.js';
export {
  API_SCOPES,
  type ApiKeyIdentity,
  ApiKeyStore,
  type ApiScope,
  hasScope,
  MIN_KEY_LENGTH,
} from './api-key-store.js';
export { spaneClientErrorHandler, spaneHostCheck } from './client-errors.js';
export {
  CONNECTION_CAP_LINGER_MS,
  CONNECTION_CAP_MAX_REFUSING,
  CONNECTION_CAP_RETRY_AFTER_S,
  type ConnectionCap,
  spaneConnectionCap,
} from './connection-cap.js';
export { spaneFrameworkErrors } from './framework-errors.js';
export {
  type ErrorBody,
  HttpError,
  type HttpErrorResponse,
  STATUS_BY_SPANE_CODE,
  toHttpErrorResponse,
} from './http-errors.js';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_JSON_DEPTH,
  type SpaneHttpAuth,
  type SpaneHttpOptions,
  type SpaneUiOptions,
} from './options.js';
export {
  DEFAULT_RATE_LIMIT_FAILED_AUTH,
  DEFAULT_RATE_LIMIT_PER_IP,
  DEFAULT_RATE_LIMIT_PER_KEY,
  type RateLimitRedis,
  type RateLimitWindow,
  type SpaneRateLimitOptions,
} from './rate-limit-options.js';
export { RATE_LIMITED } from './rate-limits.js';
export { API_KEY_NOT_FOUND, STORED_KEYS_DISABLED } from './routes/api-key-routes.js';
export { UI_CONTENT_SECURITY_POLICY } from './routes/ui-routes.js';
export {
  isSecretReference,
  looksSecretKey,
  REDACTED,
  redactDefinition,
  redactSecrets,
  SECRET_KEY_FRAGMENTS,
} from './secret-redaction.js';
export {
  DEFAULT_SERVER_LIMITS,
  resolveServerLimits,
  type SpaneServerLimits,
  type SpaneServerOptions,
  spaneServerOptions,
} from './server-limits.js';
export { MAX_START_DELAY_MS } from './start-options.js';
export {
  DEFAULT_STORED_KEY_CACHE_MS,
  STORED_KEY_CACHE_SIZE,
  STORED_KEY_TIMEOUT_MS,
  UNAVAILABLE,
} from './stored-api-keys.js';
export { spaneHttp };
export default spaneHttp;

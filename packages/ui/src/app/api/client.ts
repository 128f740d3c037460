import type { ApiErrorBody } from './types.js';

/** An API call that did not succeed: the HTTP status and the API's error code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Query string values: arrays repeat the name (`status=a&status=b`), undefined and '' are left out. */
export type Query = Record<string, string | number | readonly string[] | undefined>;

/** `path?query` with the values encoded. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) for (const v of value) params.append(name, v);
    else params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as ApiErrorBody | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(response.status, error.code, error.message, error.details);
  }
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    response.statusText || 'Request failed',
  );
}

/**
 * Calls the public HTTP API of the origin the page came from, with the signed-in key as a
 * bearer token. Every answer that is not 2xx becomes an {@link ApiError}; a 401 also tells
 * `onUnauthorized` (the shell signs out).
 */
export class ApiClient {
  readonly key: string;
  readonly #base: string;
  readonly #onUnauthorized: () => void;

  constructor(key: string, options: { base?: string; onUnauthorized?: () => void } = {}) {
    this.key = key;
    this.#base = options.base ?? '';
    this.#onUnauthorized = options.onUnauthorized ?? (() => {});
  }

  /** The headers of an authenticated call. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, ...extra };
  }

  /** The absolute URL of an API path. */
  url(path: string, query?: Query): string {
    return `${this.#base}${withQuery(path, query)}`;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.#call<T>('GET', path, query, undefined, signal);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#call<T>('POST', path, undefined, body);
  }

  async #call<T>(
    method: string,
    path: string,
    query: Query | undefined,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const init: RequestInit = { method, headers: this.headers({ accept: 'application/json' }) };
    if (signal) init.signal = signal;
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = this.headers({
        accept: 'application/json',
        'content-type': 'application/json',
      });
    }
    const response = await fetch(this.url(path, query), init);
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401) this.#onUnauthorized();
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** A short text of any thrown value for the page. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

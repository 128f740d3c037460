import type {
  ApiKeyInfo,
  CreatedApiKey,
  DLQItem,
  ExecutionExplanation,
  ExecutionState,
  ExecutionStatus,
  ExecutionSummary,
  NewApiKey,
  SecretInfo,
  StoredWorkflow,
} from './api-types.js';
import { networkReason, SpaneApiError, SpaneUnreachableError } from './client-errors.js';

/** Where a {@link SpaneClient} sends its requests, and with which key. */
export interface SpaneClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:3000`; a path prefix is kept. */
  url: string;
  /** API key, sent as `Authorization: Bearer <key>`. Without it no header is sent. */
  apiKey?: string;
  /** How long one request may take (not an event stream). @defaultValue 30_000 */
  timeoutMs?: number;
}

/** A query string's values; `undefined` ones are left out, arrays repeat the name. */
export type Query = Record<string, string | number | readonly string[] | undefined>;

/** What {@link SpaneClient.request} sends besides the method and path. */
export interface RequestOptions {
  /** A JSON body. */
  body?: unknown;
  /** The query string. */
  query?: Query;
  /** Aborts the request (its reason is thrown). */
  signal?: AbortSignal;
}

/** A page of executions, newest first. */
export interface ExecutionPage {
  /** The executions of this page. */
  items: ExecutionSummary[];
  /** Pass as `cursor` for the next page; absent on the last one. */
  nextCursor?: string;
}

/** Which executions {@link SpaneClient.listExecutions} lists. */
export interface ExecutionListFilter {
  /** Only those of this workflow. */
  workflowId?: string;
  /** Only those in one of these statuses. */
  status?: readonly ExecutionStatus[];
  /** Only those created at or after this ISO 8601 date-time (with an offset). */
  createdAfter?: string;
  /** Only those created before this ISO 8601 date-time (with an offset). */
  createdBefore?: string;
  /** At most this many (1–1000). @defaultValue 50 */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * A small client of the SPANE HTTP API (`@spane/http`) on the platform's `fetch`: one
 * method per route the CLI uses, and {@link request} for any other. Error answers throw
 * {@link SpaneApiError}; no answer at all throws {@link SpaneUnreachableError}.
 */
export class SpaneClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: SpaneClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `GET /api/workflows`: the current version of each workflow. */
  async listWorkflows(): Promise<StoredWorkflow[]> {
    return (await this.request<{ items: StoredWorkflow[] }>('GET', '/api/workflows')).items;
  }

  /** `GET /api/workflows/:id`: the current version, or the given one. */
  getWorkflow(id: string, version?: string): Promise<StoredWorkflow> {
    return this.request('GET', `/api/workflows/${encodeURIComponent(id)}`, {
      query: { version },
    });
  }

  /** `POST /api/workflows`: checks and saves a definition (a changed one is a new version). */
  registerWorkflow(definition: unknown): Promise<StoredWorkflow> {
    return this.request('POST', '/api/workflows', { body: definition });
  }

  /** `POST /api/workflows/:id/execute`: starts an execution; returns its id. */
  async executeWorkflow(id: string, initialData?: unknown): Promise<string> {
    const body = initialData === undefined ? {} : { initialData };
    const accepted = await this.request<{ executionId: string }>(
      'POST',
      `/api/workflows/${encodeURIComponent(id)}/execute`,
      { body },
    );
    return accepted.executionId;
  }

  /** `GET /api/executions`: a page of executions, newest first. */
  listExecutions(filter: ExecutionListFilter = {}): Promise<ExecutionPage> {
    const { workflowId, status, createdAfter, createdBefore, limit, cursor } = filter;
    return this.request('GET', '/api/executions', {
      query: { workflowId, status, createdAfter, createdBefore, limit, cursor },
    });
  }

  /** `GET /api/executions/:id`: the whole state of an execution. */
  getExecution(id: string, signal?: AbortSignal): Promise<ExecutionState> {
    return this.request('GET', `/api/executions/${encodeURIComponent(id)}`, { signal });
  }

  /** `GET /api/executions/:id/explain`: why each unfinished node is not running. */
  explainExecution(id: string): Promise<ExecutionExplanation> {
    return this.request('GET', `/api/executions/${encodeURIComponent(id)}/explain`);
  }

  /** `POST /api/executions/:id/cancel`: cancels a running or paused execution. */
  cancelExecution(id: string): Promise<{ executionId: string; status: ExecutionStatus }> {
    return this.request('POST', `/api/executions/${encodeURIComponent(id)}/cancel`);
  }

  /**
   * `POST /api/executions/:id/signals/:name`: sends a signal to the execution's
   * `wait-for-signal` node of that name (`payload` its output; none: null).
   */
  signalExecution(
    id: string,
    name: string,
    payload?: unknown,
  ): Promise<{ executionId: string; name: string; accepted: true }> {
    const path = `/api/executions/${encodeURIComponent(id)}/signals/${encodeURIComponent(name)}`;
    return this.request('POST', path, payload === undefined ? {} : { body: payload });
  }

  /** `GET /api/dlq`: dead-lettered nodes, newest first. */
  async listDLQ(page: { offset?: number; limit?: number } = {}): Promise<DLQItem[]> {
    const query = { offset: page.offset, limit: page.limit };
    return (await this.request<{ items: DLQItem[] }>('GET', '/api/dlq', { query })).items;
  }

  /** `POST /api/dlq/:id/retry`: runs a dead-lettered node again. */
  retryDLQItem(id: string): Promise<{ id: string; executionId: string }> {
    return this.request('POST', `/api/dlq/${encodeURIComponent(id)}/retry`);
  }

  /** `PUT /api/secrets/:name`: saves a secret's value; `created` is false when it replaced one. */
  async putSecret(name: string, value: string): Promise<{ secret: SecretInfo; created: boolean }> {
    const { status, body } = await this.#send<SecretInfo>(
      'PUT',
      `/api/secrets/${encodeURIComponent(name)}`,
      { body: { value } },
    );
    return { secret: body, created: status === 201 };
  }

  /** `GET /api/secrets`: every secret of the tenant by name (all pages), never values. */
  async listSecrets(): Promise<SecretInfo[]> {
    const items: SecretInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<{ items: SecretInfo[]; nextCursor?: string }>(
        'GET',
        '/api/secrets',
        { query: { limit: 1000, cursor } },
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return items;
  }

  /** `DELETE /api/secrets/:name`: deletes a secret (404 `SECRET_NOT_FOUND` when absent). */
  async deleteSecret(name: string): Promise<void> {
    await this.request('DELETE', `/api/secrets/${encodeURIComponent(name)}`);
  }

  /** `POST /api/keys`: creates an API key; the answer is the only one that holds the key. */
  createApiKey(request: NewApiKey): Promise<CreatedApiKey> {
    return this.request('POST', '/api/keys', { body: request });
  }

  /** `GET /api/keys`: the tenant's API keys (revoked ones too), newest first. */
  async listApiKeys(tenant?: string): Promise<ApiKeyInfo[]> {
    const query = { tenant };
    return (await this.request<{ items: ApiKeyInfo[] }>('GET', '/api/keys', { query })).items;
  }

  /** `DELETE /api/keys/:id`: revokes an API key. */
  async revokeApiKey(id: string, tenant?: string): Promise<void> {
    await this.request('DELETE', `/api/keys/${encodeURIComponent(id)}`, { query: { tenant } });
  }

  /**
   * `GET /api/executions/:id/events`: the Server-Sent Events body of an execution (read it
   * with `readServerSentEvents`). It stays open until the run ends or `signal` aborts.
   */
  async openEventStream(id: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const path = `/api/executions/${encodeURIComponent(id)}/events`;
    const response = await this.#fetch('GET', path, { signal }, false, 'text/event-stream');
    if (!response.ok || response.body === null) throw await toApiError(response);
    return response.body;
  }

  /**
   * Sends one request and parses the JSON answer.
   * @throws SpaneApiError for a 4xx or 5xx answer
   * @throws SpaneUnreachableError when no answer comes (or none in `timeoutMs`)
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.#send<T>(method, path, options)).body;
  }

  /** {@link request}, with the answer's status. */
  async #send<T>(
    method: string,
    path: string,
    options: RequestOptions,
  ): Promise<{ status: number; body: T }> {
    const response = await this.#fetch(method, path, options, true, 'application/json');
    if (!response.ok) throw await toApiError(response);
    if (response.status === 204) return { status: 204, body: undefined as T };
    const text = await readText(response, this.url);
    try {
      return { status: response.status, body: JSON.parse(text) as T };
    } catch {
      throw new SpaneApiError(response.status, 'BAD_RESPONSE', `not JSON: ${clip(text)}`);
    }
  }

  async #fetch(
    method: string,
    path: string,
    options: RequestOptions,
    timed: boolean,
    accept: string,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const signals = [
      ...(options.signal ? [options.signal] : []),
      ...(timed ? [AbortSignal.timeout(this.#timeoutMs)] : []),
    ];
    try {
      return await fetch(this.url + path + queryString(options.query), {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if ((err as Error)?.name === 'TimeoutError') {
        throw new SpaneUnreachableError(this.url, `no answer within ${this.#timeoutMs / 1000} s`);
      }
      throw new SpaneUnreachableError(this.url, networkReason(err), { cause: err });
    }
  }
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

async function readText(response: Response, url: string): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    throw new SpaneUnreachableError(url, `the answer broke off: ${networkReason(err)}`, {
      cause: err,
    });
  }
}

function clip(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || '(empty)';
}

/** The error of a failed response: the API's `{ error }` body, else its status and text. */
async function toApiError(response: Response): Promise<SpaneApiError> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; details?: unknown };
    };
    if (typeof error?.code === 'string' && typeof error.message === 'string') {
      return new SpaneApiError(response.status, error.code, error.message, error.details);
    }
  } catch {
    // not JSON: fall through
  }
  const message = text.trim() === '' ? response.statusText || 'no body' : clip(text);
  return new SpaneApiError(response.status, `HTTP_${response.status}`, message);
}

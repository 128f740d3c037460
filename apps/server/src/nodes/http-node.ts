import { lookup as dnsLookup } from 'node:dns/promises';
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestOptions,
  STATUS_CODES,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import {
  type ExecutionResult,
  type INodeExecutor,
  NonRetryableError,
  type TraceContext,
} from '@spane/core';
import type { AddressPolicy } from '../address-policy.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];

/** Config of the `http` node. */
export interface HttpNodeConfig {
  url: string;
  /** @defaultValue 'GET' */
  method?: Method;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. Not allowed with GET or HEAD. */
  body?: unknown;
  /** For the whole call, redirects included. @defaultValue 30_000 (at most 300_000) */
  timeoutMs?: number;
  /** Largest response body accepted. @defaultValue 1 MiB (at most 10 MiB) */
  maxBytes?: number;
  /**
   * True: a final status ≥ 400 fails the attempt — `408`, `429` and `5xx` retryable (so
   * they count against the type's circuit breaker and use the node's retries), other
   * `4xx` not. @defaultValue false (every status is a result)
   */
  failOnStatus?: boolean;
}

/** What the `http` node returns. */
export interface HttpNodeResult {
  status: number;
  headers: Record<string, string | string[]>;
  /** Parsed JSON when the response says JSON (and is), else the text. */
  body: unknown;
}

/** JSON Schema of {@link HttpNodeResult}, the `http` node type's `output` schema. */
export const HTTP_NODE_OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'integer', description: 'The final response status (after redirects)' },
    headers: {
      type: 'object',
      additionalProperties: {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      },
      description: 'Response headers, names in lower case',
    },
    body: { description: 'Parsed JSON when the response says JSON (and is), else the text' },
  },
  required: ['status', 'headers', 'body'],
  additionalProperties: false,
} as const;

/** Redirects the node follows at most. */
export const MAX_REDIRECTS = 5;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Target {
  url: URL;
  addresses: { address: string; family: number }[];
}

function readConfig(raw: Record<string, unknown>): Required<Omit<HttpNodeConfig, 'body'>> & {
  body?: unknown;
} {
  if (typeof raw.url !== 'string') throw new NonRetryableError('http: config.url is required');
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw new NonRetryableError('http: config.url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NonRetryableError('http: config.url must be http:// or https://');
  }
  const method = (typeof raw.method === 'string' ? raw.method.toUpperCase() : 'GET') as Method;
  if (!METHODS.includes(method)) {
    throw new NonRetryableError(`http: config.method must be one of ${METHODS.join(', ')}`);
  }
  const headers: Record<string, string> = {};
  if (raw.headers !== undefined) {
    if (typeof raw.headers !== 'object' || raw.headers === null || Array.isArray(raw.headers)) {
      throw new NonRetryableError('http: config.headers must be an object of strings');
    }
    for (const [name, value] of Object.entries(raw.headers)) {
      if (typeof value !== 'string') {
        throw new NonRetryableError(`http: config.headers['${name}'] must be a string`);
      }
      headers[name.toLowerCase()] = value;
    }
  }
  const bounded = (name: string, value: unknown, fallback: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      throw new NonRetryableError(`http: config.${name} must be an integer from 1 to ${max}`);
    }
    return value;
  };
  if (raw.failOnStatus !== undefined && typeof raw.failOnStatus !== 'boolean') {
    throw new NonRetryableError('http: config.failOnStatus must be true or false');
  }
  if (raw.body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new NonRetryableError(`http: a ${method} request cannot have a body`);
  }
  const config = {
    url: url.href,
    method,
    headers,
    timeoutMs: bounded('timeoutMs', raw.timeoutMs, DEFAULT_TIMEOUT_MS, 300_000),
    maxBytes: bounded('maxBytes', raw.maxBytes, DEFAULT_MAX_BYTES, 10 * 1024 * 1024),
    failOnStatus: raw.failOnStatus === true,
  };
  return raw.body === undefined ? config : { ...config, body: raw.body };
}

/**
 * Resolves the URL's host and checks every address against the policy; the request then
 * connects only to these checked addresses (no second DNS lookup an attacker could
 * answer differently).
 * @throws NonRetryableError when the target is not allowed
 */
async function resolveTarget(url: URL, policy: AddressPolicy, lookup: HostLookup): Promise<Target> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const family = isIP(host);
  if (family !== 0) {
    if (!policy.allowsHost(host) && !policy.allowsAddress(host)) {
      throw new NonRetryableError(
        `http: refusing ${url.protocol}//${url.host}: ${host} is a private, loopback or link-local address (allow it with SPANE_HTTP_ALLOW)`,
      );
    }
    return { url, addresses: [{ address: host, family }] };
  }
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    throw new Error(`http: cannot resolve ${host} (${(err as NodeJS.ErrnoException).code})`);
  }
  if (addresses.length === 0) throw new Error(`http: ${host} has no address`);
  if (!policy.allowsHost(host)) {
    const refused = addresses.find((a) => !policy.allowsAddress(a.address));
    if (refused) {
      throw new NonRetryableError(
        `http: refusing ${url.protocol}//${url.host}: ${host} resolves to ${refused.address}, a private, loopback or link-local address (allow it with SPANE_HTTP_ALLOW)`,
      );
    }
  }
  return { url, addresses };
}

/** A DNS lookup for the request that answers only with the addresses already checked. */
function pinnedLookup(addresses: Target['addresses']): LookupFunction {
  return (_hostname, options, callback) => {
    const cb = callback as (err: Error | null, address: unknown, family?: number) => void;
    if (options.all) cb(null, addresses);
    else cb(null, addresses[0]!.address, addresses[0]!.family);
  };
}

function send(
  target: Target,
  method: Method,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const options: RequestOptions = {
    method,
    headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
    lookup: pinnedLookup(target.addresses),
    signal,
  };
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target.url, options, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    throw new NonRetryableError(`http: response of ${declared} bytes exceeds maxBytes ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.destroy();
      throw new NonRetryableError(`http: response exceeds maxBytes ${maxBytes}`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function decodeBody(raw: Buffer, headers: IncomingHttpHeaders): unknown {
  const text = raw.toString('utf8');
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Characters of the response body a status failure's message quotes at most. */
export const STATUS_ERROR_BODY_CHARS = 200;
/** Statuses `failOnStatus` treats as retryable (besides every `5xx`). */
const RETRYABLE_STATUSES = new Set([408, 429]);

/**
 * With `failOnStatus`, the failure a final status ≥ 400 makes: retryable for `408`, `429`
 * and `5xx`, else not. The message names the method and status, the `Retry-After` the
 * server sent (the engine retries after the node's own backoff) and the start of the body
 * (at most {@link STATUS_ERROR_BODY_CHARS} characters); never the URL nor a header sent,
 * which may hold secrets.
 */
function statusFailure(
  method: Method,
  status: number,
  headers: IncomingHttpHeaders,
  raw: Buffer,
): { success: false; error: string; retryable: boolean } {
  const retryable = status >= 500 || RETRYABLE_STATUSES.has(status);
  const reason = STATUS_CODES[status] ?? 'Unknown Status';
  const retryAfter = headers['retry-after'];
  const text = method === 'HEAD' ? '' : raw.toString('utf8').replace(/\s+/g, ' ').trim();
  const quoted =
    text.length > STATUS_ERROR_BODY_CHARS ? `${text.slice(0, STATUS_ERROR_BODY_CHARS)}…` : text;
  const error =
    `http: ${method} answered ${status} ${reason}` +
    (retryAfter === undefined ? '' : ` (Retry-After: ${retryAfter.slice(0, 64)})`) +
    (quoted === '' ? '' : `: ${quoted}`);
  return { success: false, error, retryable };
}

function plainHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}

/** The W3C headers of a trace context (none without one). */
function traceHeaders(trace: TraceContext | undefined): Record<string, string> {
  if (!trace) return {};
  return trace.tracestate === undefined
    ? { traceparent: trace.traceparent }
    : { traceparent: trace.traceparent, tracestate: trace.tracestate };
}

/** Resolves a host name to every address it has (the DNS lookup, replaceable in tests). */
export type HostLookup = (host: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: HostLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * `http`: one HTTP(S) request. Private, loopback and link-local targets are refused unless
 * the policy allows them; the check runs after DNS resolution and again on every redirect
 * (followed by hand, at most {@link MAX_REDIRECTS}). `ctx.signal` and `timeoutMs` abort
 * the call; a response larger than `maxBytes` fails it. Any status is a result (branch on
 * it with a `switch`) unless `failOnStatus` is set: then a final status ≥ 400 fails the
 * attempt (`408`, `429`, `5xx` retried, other `4xx` not). Network errors and timeouts are
 * retried, refusals and bad config not.
 * The request carries the node's W3C trace context (`ctx.traceContext`) as `traceparent`
 * and `tracestate` headers, unless `config.headers` sets them.
 */
export function createHttpNode(
  policy: AddressPolicy,
  options: { lookup?: HostLookup } = {},
): INodeExecutor {
  const lookup = options.lookup ?? systemLookup;
  return {
    async execute(ctx): Promise<ExecutionResult<HttpNodeResult>> {
      const config = readConfig(ctx.nodeConfig ?? {});
      const timeout = AbortSignal.timeout(config.timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      let method = config.method;
      let headers: Record<string, string> = {
        'user-agent': 'spane-http-node',
        ...traceHeaders(ctx.traceContext),
        ...config.headers,
      };
      let body: Buffer | undefined;
      if (config.body !== undefined) {
        if (typeof config.body === 'string') {
          body = Buffer.from(config.body, 'utf8');
          headers['content-type'] ??= 'text/plain; charset=utf-8';
        } else {
          body = Buffer.from(JSON.stringify(config.body), 'utf8');
          headers['content-type'] ??= 'application/json';
        }
      }
      let url = new URL(config.url);
      try {
        for (let hop = 0; ; hop++) {
          const target = await resolveTarget(url, policy, lookup);
          signal.throwIfAborted();
          const response = await send(target, method, headers, body, signal);
          const status = response.statusCode ?? 0;
          const location = response.headers.location;
          if (!REDIRECTS.has(status) || location === undefined) {
            const raw = await readBody(response, config.maxBytes);
            if (config.failOnStatus && status >= 400) {
              return statusFailure(method, status, response.headers, raw);
            }
            return {
              success: true,
              data: {
                status,
                headers: plainHeaders(response.headers),
                body: method === 'HEAD' ? null : decodeBody(raw, response.headers),
              },
            };
          }
          response.resume();
          if (hop >= MAX_REDIRECTS) {
            throw new NonRetryableError(`http: more than ${MAX_REDIRECTS} redirects`);
          }
          const next = new URL(location, url);
          if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            throw new NonRetryableError(`http: refusing a redirect to ${next.protocol}`);
          }
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            method = method === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            const { 'content-type': _type, ...rest } = headers;
            headers = rest;
          }
          if (next.origin !== url.origin) {
            // Credentials are for the origin they were given for.
            const { authorization: _auth, cookie: _cookie, ...rest } = headers;
            headers = rest;
          }
          ctx.log.debug(`http: ${status} redirect`, { to: next.origin });
          url = next;
        }
      } catch (err) {
        if (ctx.signal.aborted) throw new Error('http: aborted');
        if (timeout.aborted) throw new Error(`http: timed out after ${config.timeoutMs} ms`);
        throw err;
      }
    },
  };
}

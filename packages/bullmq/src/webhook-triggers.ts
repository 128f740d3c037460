import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  InvalidArgumentError,
  InvalidSignatureError,
  type WebhookTrigger,
  type WorkflowDefinition,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { setWebhookRoutes } from './lua-scripts.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** Header carrying a webhook's HMAC signature: `t=<unix seconds>,v1=<hex>`. */
export const SIGNATURE_HEADER = 'x-spane-signature';
/** Header carrying a delivery id; a replayed id starts nothing (within {@link DELIVERY_TTL_MS}). */
export const DELIVERY_HEADER = 'x-spane-delivery';
/** How far a signature's `t` may be from now. */
export const SIGNATURE_TOLERANCE_S = 5 * 60;
/** How long a delivery id is remembered. */
export const DELIVERY_TTL_MS = 10 * 60 * 1000;

/** A workflow started by a webhook route. */
export interface WebhookTarget {
  tenantId: string;
  workflowId: string;
}

/** A path without leading or trailing slashes, and its query string parsed (if any). */
export function splitWebhookPath(raw: string): {
  path: string;
  query?: Record<string, string | string[]>;
} {
  if (typeof raw !== 'string') throw new InvalidArgumentError('path must be a string');
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/^\/+|\/+$/g, '');
  if (q < 0) return { path };
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw.slice(q + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { path, query };
}

/** The route key of a method and a normalised path: `POST hooks/orders`. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** The webhook triggers of a definition, with their route keys. */
export function webhookTriggers(
  definition: Pick<WorkflowDefinition, 'triggers'>,
): { key: string; trigger: WebhookTrigger }[] {
  return (definition.triggers ?? [])
    .filter((t): t is WebhookTrigger => t.type === 'webhook')
    .map((trigger) => ({
      key: routeKey(trigger.method ?? 'POST', splitWebhookPath(trigger.path).path),
      trigger,
    }));
}

/** Header names lowercased; undefined values dropped. */
export function normaliseHeaders(
  headers: Record<string, string | string[] | undefined> = {},
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function header(headers: Record<string, string | string[]>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function rawText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return undefined;
}

/**
 * The body a webhook run receives: a raw body (string or Buffer) is parsed as JSON when
 * the content type says JSON or it starts with `{` or `[` (and parses), else passed as
 * the string; an empty raw body becomes undefined; an already parsed value passes as is.
 */
export function parseWebhookBody(
  body: unknown,
  headers: Record<string, string | string[]>,
): unknown {
  const text = rawText(body);
  if (text === undefined) return body;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const json = /json/i.test(header(headers, 'content-type') ?? '');
  if (json || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, as a sender computes it. */
export function signWebhook(
  secret: string,
  rawBody: string | Uint8Array,
  timestampSeconds = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret)
    .update(`${timestampSeconds}.`)
    .update(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody))
    .digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * Checks a signature header against the raw body.
 * @throws InvalidSignatureError when the header is missing or malformed, `t` is more than
 * 5 minutes from now, no `v1` matches (compared in constant time), or the body is not raw.
 */
export function verifyWebhookSignature(
  secret: string,
  body: unknown,
  signature: string | undefined,
  nowMs = Date.now(),
): void {
  if (signature === undefined || signature === '') {
    throw new InvalidSignatureError(`missing ${SIGNATURE_HEADER} header`);
  }
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : undefined;
  if (raw === undefined) {
    throw new InvalidSignatureError(
      'the raw request body (string or Buffer) is needed to check it',
    );
  }
  let t: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of signature.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v)) candidates.push(Buffer.from(v, 'hex'));
  }
  if (t === undefined || candidates.length === 0) {
    throw new InvalidSignatureError('expected t=<unix seconds>,v1=<hex sha256>');
  }
  if (Math.abs(nowMs / 1000 - t) > SIGNATURE_TOLERANCE_S) {
    throw new InvalidSignatureError('timestamp is more than 5 minutes from now');
  }
  const expected = createHmac('sha256', secret)
    .update(`${t}.`)
    .update(typeof raw === 'string' ? raw : Buffer.from(raw))
    .digest();
  let ok = false;
  for (const c of candidates) if (timingSafeEqual(c, expected)) ok = true;
  if (!ok) throw new InvalidSignatureError('signature does not match');
}

/** src/lua/set-webhook-routes-2.lua */
const SET_ROUTES = new RedisScript(setWebhookRoutes);

/**
 * Webhook routes, kept in Redis so every engine process (and a restarted one) finds them:
 * `<prefix>:webhooks` maps `METHOD path` to the workflows (of any tenant) it starts, and
 * `<prefix>:webhooks:owners` maps each workflow to its routes, so re-registering replaces
 * them atomically. Maintained by `registerWorkflow` and `unregisterWorkflow`.
 */
export class WebhookRoutes {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #routes: string;
  readonly #owners: string;

  constructor(redis: Redis, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
    this.#routes = keys.webhookRoutes;
    this.#owners = keys.webhookOwners;
  }

  /** Sets a workflow's routes to those of `definition` (none when null). */
  async sync(
    tenantId: string,
    workflowId: string,
    definition: Pick<WorkflowDefinition, 'triggers'> | null,
  ): Promise<void> {
    const routes = definition ? [...new Set(webhookTriggers(definition).map((w) => w.key))] : [];
    await SET_ROUTES.run(
      this.#redis,
      [this.#routes, this.#owners],
      [JSON.stringify([tenantId, workflowId]), JSON.stringify(routes)],
    );
  }

  /** The workflows a route starts. */
  async lookup(method: string, path: string): Promise<WebhookTarget[]> {
    const raw = await this.#redis.hget(this.#routes, routeKey(method, path));
    if (!raw) return [];
    return (JSON.parse(raw) as string[]).map((t) => {
      const [tenantId, workflowId] = JSON.parse(t) as [string, string];
      return { tenantId, workflowId };
    });
  }

  /** The workflows (tenant, id) that have routes now. */
  async owners(): Promise<WebhookTarget[]> {
    const fields = await this.#redis.hkeys(this.#owners);
    return fields.map((f) => {
      const [tenantId, workflowId] = JSON.parse(f) as [string, string];
      return { tenantId, workflowId };
    });
  }

  /** Records a delivery id; false when it was seen in the last 10 minutes. */
  async claimDelivery(route: string, deliveryId: string): Promise<boolean> {
    const set = await this.#redis.set(
      this.#keys.webhookDelivery(route, deliveryId),
      '1',
      'PX',
      DELIVERY_TTL_MS,
      'NX',
    );
    return set === 'OK';
  }

  async forgetDelivery(route: string, deliveryId: string): Promise<void> {
    await this.#redis.del(this.#keys.webhookDelivery(route, deliveryId));
  }
}

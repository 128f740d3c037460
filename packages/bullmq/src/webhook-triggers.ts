import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  InvalidArgumentError,
  InvalidSignatureError,
  type WebhookTrigger,
  type WorkflowDefinition,
} from '@spane/core';
import type { Redis } from 'ioredis';
import { setWebhookRoutes } from './lua-scripts.js';
import { type RedisKeys, webhookRoute } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

/** Header carrying a webhook's HMAC signature: `t=<unix seconds>,v2=<hex>` (see {@link signWebhook}). */
export const SIGNATURE_HEADER = 'x-spane-signature';
/**
 * Header carrying a delivery id: required on a signed delivery (the signature covers it);
 * a delivery id seen on the same route in the last {@link DELIVERY_TTL_MS} starts nothing.
 */
export const DELIVERY_HEADER = 'x-spane-delivery';
/** What a delivery id may be: 1 to 128 characters of `A-Z a-z 0-9 _ - :` (no `.`). */
export const DELIVERY_ID_PATTERN = /^[A-Za-z0-9_:-]{1,128}$/;
/** How far a signature's `t` may be from now. */
export const SIGNATURE_TOLERANCE_S = 5 * 60;
/**
 * How long a delivery id is remembered: twice {@link SIGNATURE_TOLERANCE_S}, so it outlives
 * every signature that could carry it (a `t` up to 5 minutes ahead stays valid 10 minutes).
 */
export const DELIVERY_TTL_MS = 2 * SIGNATURE_TOLERANCE_S * 1000;

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

/** A trigger's key within one definition: method and normalised path, `POST hooks/orders`. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** The webhook triggers of a definition, with their method, normalised path and {@link routeKey}. */
export function webhookTriggers(
  definition: Pick<WorkflowDefinition, 'triggers'>,
): { key: string; method: string; path: string; trigger: WebhookTrigger }[] {
  return (definition.triggers ?? [])
    .filter((t): t is WebhookTrigger => t.type === 'webhook')
    .map((trigger) => {
      const method = (trigger.method ?? 'POST').toUpperCase();
      const path = splitWebhookPath(trigger.path).path;
      return { key: routeKey(method, path), method, path, trigger };
    });
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

/** Checks a delivery id against {@link DELIVERY_ID_PATTERN}. @throws InvalidArgumentError */
export function checkDeliveryId(deliveryId: unknown): asserts deliveryId is string {
  if (typeof deliveryId !== 'string' || !DELIVERY_ID_PATTERN.test(deliveryId)) {
    throw new InvalidArgumentError(
      `${DELIVERY_HEADER} must be 1-128 characters of A-Z a-z 0-9 _ - : (got '${String(deliveryId).slice(0, 140)}')`,
    );
  }
}

/** HMAC-SHA256(secret, `<t>.<delivery id>.<raw body>`). */
function signatureMac(secret: string, t: number, deliveryId: string, raw: string | Uint8Array) {
  return createHmac('sha256', secret)
    .update(`${t}.${deliveryId}.`)
    .update(typeof raw === 'string' ? raw : Buffer.from(raw))
    .digest();
}

/** What {@link signWebhook} signs besides the body. */
export interface WebhookSignatureInput {
  /** The delivery's id, sent as header `x-spane-delivery` (see {@link DELIVERY_ID_PATTERN}). */
  deliveryId: string;
  /** @defaultValue now */
  timestampSeconds?: number;
}

/**
 * The value of header `x-spane-signature` for a delivery, as a sender computes it:
 * `t=<unix seconds>,v2=<hex HMAC-SHA256(secret, "<t>.<deliveryId>.<raw body>")>`.
 * @throws InvalidArgumentError when the delivery id does not match {@link DELIVERY_ID_PATTERN}
 */
export function signWebhook(
  secret: string,
  rawBody: string | Uint8Array,
  { deliveryId, timestampSeconds = Math.floor(Date.now() / 1000) }: WebhookSignatureInput,
): string {
  checkDeliveryId(deliveryId);
  const mac = signatureMac(secret, timestampSeconds, deliveryId, rawBody).toString('hex');
  return `t=${timestampSeconds},v2=${mac}`;
}

/** `t` and the `v2` values of a signature header. @throws InvalidSignatureError */
function parseSignature(signature: string): { t: number; candidates: Buffer[] } {
  let t: number | undefined;
  let v1 = false;
  const candidates: Buffer[] = [];
  for (const part of signature.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v2' && /^[0-9a-f]{64}$/i.test(v)) candidates.push(Buffer.from(v, 'hex'));
    else if (k === 'v1') v1 = true;
  }
  if (t !== undefined && candidates.length === 0 && v1) {
    throw new InvalidSignatureError(
      'v1 signatures (over "<t>.<body>") are no longer accepted: send v2, an HMAC over "<t>.<delivery id>.<body>"',
    );
  }
  if (t === undefined || candidates.length === 0) {
    throw new InvalidSignatureError('expected t=<unix seconds>,v2=<hex sha256>');
  }
  return { t, candidates };
}

/**
 * Checks a signature header against the delivery id and the raw body.
 * @throws InvalidSignatureError when the header or the delivery id is missing or malformed,
 * `t` is more than 5 minutes from now, no `v2` matches (compared in constant time), or the
 * body is not raw.
 */
export function verifyWebhookSignature(
  secret: string,
  body: unknown,
  signature: string | undefined,
  deliveryId: string | undefined,
  nowMs = Date.now(),
): void {
  if (signature === undefined || signature === '') {
    throw new InvalidSignatureError(`missing ${SIGNATURE_HEADER} header`);
  }
  if (deliveryId === undefined || deliveryId === '') {
    throw new InvalidSignatureError(
      `missing ${DELIVERY_HEADER} header: a signed delivery needs an id, which the signature covers`,
    );
  }
  if (!DELIVERY_ID_PATTERN.test(deliveryId)) {
    throw new InvalidSignatureError(
      `${DELIVERY_HEADER} must be 1-128 characters of A-Z a-z 0-9 _ - :`,
    );
  }
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : undefined;
  if (raw === undefined) {
    throw new InvalidSignatureError(
      'the raw request body (string or Buffer) is needed to check it',
    );
  }
  const { t, candidates } = parseSignature(signature);
  if (Math.abs(nowMs / 1000 - t) > SIGNATURE_TOLERANCE_S) {
    throw new InvalidSignatureError('timestamp is more than 5 minutes from now');
  }
  const expected = signatureMac(secret, t, deliveryId, raw);
  let ok = false;
  for (const c of candidates) if (timingSafeEqual(c, expected)) ok = true;
  if (!ok) throw new InvalidSignatureError('signature does not match');
}

/** src/lua/set-webhook-routes-2.lua */
const SET_ROUTES = new RedisScript(setWebhookRoutes);

/**
 * Webhook routes, kept in Redis so every engine process (and a restarted one) finds them:
 * `<prefix>:webhooks` maps each tenant's route (`webhookRoute`: tenant, method and path,
 * each escaped) to the workflows of that tenant it starts, and `<prefix>:webhooks:owners`
 * maps each workflow to its routes, so re-registering replaces them atomically (and drops
 * routes written in an older format). Maintained by `registerWorkflow` and
 * `unregisterWorkflow`.
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
    const routes = definition
      ? [
          ...new Set(
            webhookTriggers(definition).map((w) => webhookRoute(tenantId, w.method, w.path)),
          ),
        ]
      : [];
    await SET_ROUTES.run(
      this.#redis,
      [this.#routes, this.#owners],
      [JSON.stringify([tenantId, workflowId]), JSON.stringify(routes)],
    );
  }

  /** The workflows of the tenant a route starts. */
  async lookup(tenantId: string, method: string, path: string): Promise<WebhookTarget[]> {
    const raw = await this.#redis.hget(this.#routes, webhookRoute(tenantId, method, path));
    if (!raw) return [];
    return (JSON.parse(raw) as string[])
      .map((t) => {
        const [tenant, workflowId] = JSON.parse(t) as [string, string];
        return { tenantId: tenant, workflowId };
      })
      .filter((t) => t.tenantId === tenantId);
  }

  /** The workflows (tenant, id) that have routes now. */
  async owners(): Promise<WebhookTarget[]> {
    const fields = await this.#redis.hkeys(this.#owners);
    return fields.map((f) => {
      const [tenantId, workflowId] = JSON.parse(f) as [string, string];
      return { tenantId, workflowId };
    });
  }

  /**
   * Records a delivery id on a route (a `webhookRoute`: per tenant, method and path) with
   * SET NX; false when it was seen in the last {@link DELIVERY_TTL_MS}.
   */
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

  /** Forgets a delivery id whose start failed, so the sender's retry can start it. */
  async forgetDelivery(route: string, deliveryId: string): Promise<void> {
    await this.#redis.del(this.#keys.webhookDelivery(route, deliveryId));
  }
}

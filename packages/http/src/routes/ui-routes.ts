import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-errors.js';
import { matchesEtag, type UiAssets } from '../ui-assets.js';

/**
 * The inspector's policy: everything from this origin only (its API calls included), no
 * inline script or style, no plugins, no framing, no form posts elsewhere.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** Answers one file: 304 when `If-None-Match` names its ETag, else its bytes. */
function sendAsset(
  assets: UiAssets,
  path: string,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const asset = assets.get(path);
  if (asset === undefined) {
    const url = request.url.split('?')[0] ?? request.url;
    throw new HttpError(404, 'NOT_FOUND', `Route ${request.method} ${url} not found`);
  }
  reply.headers({ ...SECURITY_HEADERS, etag: asset.etag, 'cache-control': asset.cacheControl });
  if (matchesEtag(request.headers['if-none-match'], asset.etag)) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}

/**
 * The inspector (static files of `@spane/ui`, read once into memory) at `/ui/`: `GET /ui`
 * redirects to `/ui/` (its asset URLs are relative), `/ui/` is `index.html`, `/ui/<file>`
 * one of its files; any other path under `/ui/` answers 404 `NOT_FOUND`. No authentication
 * (the files hold no data: the page asks for a key and sends it with each API call), the
 * API's rate limits apply; HEAD and `If-None-Match` (304) work; not in the OpenAPI document.
 */
export function uiRoutes(app: FastifyInstance, assets: UiAssets): void {
  const schema = { hide: true };
  app.get('/ui', { schema }, async (request, reply) => {
    const [path, query] = splitUrl(request.url);
    // A router that ignores trailing slashes sends `/ui/` here too.
    if (path.endsWith('/')) return sendAsset(assets, 'index.html', request, reply);
    // Relative, so that it holds under any prefix or path-rewriting proxy.
    return reply.redirect(`ui/${query}`, 302);
  });
  app.get('/ui/*', { schema }, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    return sendAsset(assets, file === '' ? 'index.html' : file, request, reply);
  });
}

/** A request URL as its path and its query string (with `?`, or empty). */
function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}

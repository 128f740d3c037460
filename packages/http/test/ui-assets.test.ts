import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@spane/core';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore, spaneHttp, UI_CONTENT_SECURITY_POLICY } from '../src/index.js';
import { createHttpHarness, type HttpHarness, KEY_SPEC } from './support/http-harness.js';

/**
 * `ui: { assetsDir }`: the inspector's static files at `/ui/`, from a fixture directory
 * laid out like Vite's output (index.html, hashed files under assets/).
 */
const dir = mkdtempSync(join(tmpdir(), 'spane-ui-fixture-'));
const INDEX =
  '<!doctype html><html><head><script type="module" src="./assets/app-1a2b.js"></script></head><body></body></html>';
const JS = 'console.log("inspector");';
const CSS = 'body { margin: 0 }';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"/>';
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), INDEX);
writeFileSync(join(dir, 'assets', 'app-1a2b.js'), JS);
writeFileSync(join(dir, 'assets', 'app-3c4d.css'), CSS);
writeFileSync(join(dir, 'assets', 'logo.svg'), SVG);
writeFileSync(join(dir, '.env'), 'SECRET=1');

const EXPECTED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let h: HttpHarness;
beforeAll(async () => {
  h = await createHttpHarness({ workers: false, http: { ui: { assetsDir: dir } } });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the inspector at /ui', () => {
  it('redirects /ui to /ui/ (relative, query kept)', async () => {
    const res = await h.app.inject({ url: '/ui' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('ui/');
    const withQuery = await h.app.inject({ url: '/ui?execution=e1' });
    expect(withQuery.headers.location).toBe('ui/?execution=e1');
  });

  it('serves index.html at /ui/ without a key, with the security headers and no-cache', async () => {
    for (const url of ['/ui/', '/ui/index.html', '/ui/?x=1']) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(EXPECTED_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers.etag).toMatch(/^"[\w-]{27}"$/);
    }
    expect(UI_CONTENT_SECURITY_POLICY).toBe(EXPECTED_CSP);
  });

  it('serves the files under assets/ with their content type, cached for good', async () => {
    const cases: [string, string, string][] = [
      ['/ui/assets/app-1a2b.js', JS, 'text/javascript; charset=utf-8'],
      ['/ui/assets/app-3c4d.css', CSS, 'text/css; charset=utf-8'],
      ['/ui/assets/logo.svg', SVG, 'image/svg+xml'],
    ];
    for (const [url, body, type] of cases) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(body);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-security-policy']).toBe(EXPECTED_CSP);
    }
  });

  it('answers 304 when If-None-Match names the ETag', async () => {
    const first = await h.app.inject({ url: '/ui/assets/app-1a2b.js' });
    const etag = String(first.headers.etag);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await h.app.inject({
        url: '/ui/assets/app-1a2b.js',
        headers: { 'if-none-match': ifNoneMatch },
      });
      expect(res.statusCode, ifNoneMatch).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const changed = await h.app.inject({
      url: '/ui/assets/app-1a2b.js',
      headers: { 'if-none-match': '"stale"' },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toBe(JS);
    // Each file has its own validator.
    expect((await h.app.inject({ url: '/ui/' })).headers.etag).not.toBe(etag);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await h.app.inject({ method: 'HEAD', url: '/ui/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(INDEX)));
    expect(res.headers['content-security-policy']).toBe(EXPECTED_CSP);
  });

  it("answers 404 NOT_FOUND in the API's error shape for any other path under /ui/", async () => {
    for (const url of [
      '/ui/nope.js',
      '/ui/assets/',
      '/ui/assets',
      '/ui/.env',
      '/ui/assets%2f..%2f..%2fpackage.json',
      '/ui/..%2fpackage.json',
      '/ui/deep/link',
    ]) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toEqual({
        error: { code: 'NOT_FOUND', message: expect.stringContaining('not found') },
      });
    }
    const post = await h.app.inject({ method: 'POST', url: '/ui/', payload: {} });
    expect(post.statusCode).toBe(405);
    expect(post.json().error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('is left out of the OpenAPI document', async () => {
    const doc = (await h.app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/ui'))).toEqual([]);
  });
});

describe('ui option checks', () => {
  async function register(ui: unknown): Promise<unknown> {
    const app = Fastify({ logger: false });
    try {
      await app.register(spaneHttp, {
        engine: h.engine,
        auth: { mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) },
        ui,
      } as never);
      await app.ready();
      return undefined;
    } catch (err) {
      return err;
    } finally {
      await app.close();
    }
  }

  it('refuses a directory that is missing or has no index.html, saying how to build it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'spane-ui-empty-'));
    try {
      for (const assetsDir of [join(dir, 'no-such-dir'), empty]) {
        const err = await register({ assetsDir });
        expect(err, assetsDir).toBeInstanceOf(InvalidArgumentError);
        expect((err as Error).message).toContain('pnpm --filter @spane/ui build');
        expect((err as Error).message).toContain(assetsDir);
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a ui option without assetsDir', async () => {
    for (const ui of [{}, { assetsDir: '' }, { assetsDir: 7 }, 'dist/app', null]) {
      const err = await register(ui);
      expect(err, JSON.stringify(ui)).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain('@spane/ui');
    }
  });

  it('serves nothing at /ui without the option', async () => {
    const app = Fastify({ logger: false });
    await app.register(spaneHttp, {
      engine: h.engine,
      auth: { mode: 'keys', keys: ApiKeyStore.parse(KEY_SPEC) },
    });
    try {
      for (const url of ['/ui', '/ui/']) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(404);
        expect(res.json().error.code).toBe('NOT_FOUND');
      }
    } finally {
      await app.close();
    }
  });
});

describe('the inspector in other hosts', () => {
  it('works under a prefix: the relative redirect lands on the prefixed /ui/', async () => {
    const mounted = await createHttpHarness({
      workers: false,
      mount: '/spane/v1',
      http: { ui: { assetsDir: dir } },
    });
    try {
      const redirect = await mounted.app.inject({ url: '/spane/v1/ui' });
      expect(redirect.statusCode).toBe(302);
      expect(new URL(String(redirect.headers.location), 'http://x/spane/v1/ui').pathname).toBe(
        '/spane/v1/ui/',
      );
      const page = await mounted.app.inject({ url: '/spane/v1/ui/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toBe(INDEX);
      expect((await mounted.app.inject({ url: '/ui/' })).statusCode).toBe(404);
    } finally {
      await mounted.close();
    }
  });

  it('serves index.html at /ui/ when the router ignores trailing slashes (no redirect loop)', async () => {
    const lenient = await createHttpHarness({
      workers: false,
      fastify: { routerOptions: { ignoreTrailingSlash: true } },
      http: { ui: { assetsDir: dir } },
    });
    try {
      const page = await lenient.app.inject({ url: '/ui/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toBe(INDEX);
      expect((await lenient.app.inject({ url: '/ui' })).statusCode).toBe(302);
    } finally {
      await lenient.close();
    }
  });

  it('counts its requests against the per-IP rate limit', async () => {
    const limited = await createHttpHarness({
      workers: false,
      http: { ui: { assetsDir: dir }, rateLimit: { perIp: { max: 3, windowMs: 60_000 } } },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await limited.app.inject({ url: '/ui/assets/app-1a2b.js' })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const res = await limited.app.inject({ url: '/ui/' });
      expect(res.json().error.code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});

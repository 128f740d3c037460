import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UI_CONTENT_SECURITY_POLICY } from '@spane/http';
import { uiAssetsDir } from '@spane/ui';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/index.js';
import { serverConfigs } from './support/test-config.js';

/** The inspector (`@spane/ui`) at `/ui/`: on by default, off with `SPANE_UI=disabled`. */
const KEY = 'inspector-test-admin-key-01';
const testConfig = serverConfigs('inspector', KEY, { WORKER_CONCURRENCY: '2', LOG_LEVEL: 'info' });

function capture() {
  const lines: Record<string, any>[] = [];
  return { lines, stream: { write: (line: string) => lines.push(JSON.parse(line)) } };
}

describe('the inspector', () => {
  it('is served at /ui/ by default, with its CSP, and announced at start and by GET /', async () => {
    const log = capture();
    const server = await startServer(testConfig(), { logStream: log.stream });
    try {
      const inspector = `${server.url}/ui/`;
      expect(server.inspectorUrl).toBe(inspector);
      const started = log.lines.find((l) => l.msg === 'spane server started');
      expect(started).toMatchObject({ inspector });
      expect(log.lines.some((l) => l.msg === `inspector at ${inspector}`)).toBe(true);

      // `/ui` redirects to `/ui/`, which is the built index.html, without a key.
      const page = await fetch(`${server.url}/ui`);
      expect(page.status).toBe(200);
      expect(page.redirected).toBe(true);
      expect(page.url).toBe(inspector);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toBe(UI_CONTENT_SECURITY_POLICY);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const html = await page.text();
      expect(html).toBe(readFileSync(join(uiAssetsDir, 'index.html'), 'utf8'));

      // Every asset the page names is there, cached for good.
      const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        const res = await fetch(`${inspector}${asset}`);
        expect(res.status, asset).toBe(200);
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(await res.text()).toBe(readFileSync(join(uiAssetsDir, asset!), 'utf8'));
      }

      const index = await (await fetch(`${server.url}/`)).json();
      expect(index).toMatchObject({ ui: '/ui/', docs: '/docs' });
      const missing = await fetch(`${inspector}no-such-file.js`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as any).error.code).toBe('NOT_FOUND');
    } finally {
      await server.close();
    }
  });

  it('answers 404 at /ui with SPANE_UI=disabled, and is not announced', async () => {
    const log = capture();
    const server = await startServer(testConfig({ SPANE_UI: 'disabled' }), {
      logStream: log.stream,
    });
    try {
      expect(server.inspectorUrl).toBeUndefined();
      for (const path of ['/ui', '/ui/']) {
        const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
        expect(res.status, path).toBe(404);
        expect(((await res.json()) as any).error.code).toBe('NOT_FOUND');
      }
      const index = await (await fetch(`${server.url}/`)).json();
      expect(index).not.toHaveProperty('ui');
      expect(index).toMatchObject({ docs: '/docs' });
      expect(log.lines.find((l) => l.msg === 'spane server started')).not.toHaveProperty(
        'inspector',
      );
    } finally {
      await server.close();
    }
  });
});

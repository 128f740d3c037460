import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { cleanEnv, deletePrefix, type Proc, spawnProc, waitFor } from '../support/processes.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const NODES = fileURLToPath(new URL('./inspector-nodes.mjs', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where screenshots go: `$SPANE_TEST_ARTIFACTS/inspector`, else `<repo>/test-artifacts/inspector`. */
export const ARTIFACTS = join(
  process.env.SPANE_TEST_ARTIFACTS ??
    fileURLToPath(new URL('../../../../test-artifacts', import.meta.url)),
  'inspector',
);

/** The keys the test server accepts (tenant `default`). */
export const KEYS = {
  admin: 'inspector-admin-key-000001',
  read: 'inspector-read-key-0000001',
} as const;

/** The Chromium to drive: SPANE_CHROMIUM, else Debian's. Fails with what to install. */
export function chromiumPath(): string {
  const path = process.env.SPANE_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `No Chromium at ${path}. Install it with 'apt-get install -y chromium' (as root; or run bash scripts/browser.sh), or set SPANE_CHROMIUM to a Chromium or Chrome binary.`,
    );
  }
  return path;
}

/** Headless Chromium as the machine allows it: no sandbox as root, no background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A real apps/server process (from its sources) with the inspector, and how to stop it. */
export interface InspectorServer {
  url: string;
  proc: Proc;
  /** Calls the API with the admin key. */
  api: <T = any>(method: string, path: string, body?: unknown) => Promise<T>;
  close: () => Promise<void>;
}

/** Starts `apps/server` on a free loopback port with the memory store or a private PostgreSQL schema. */
export async function startServer(store: 'memory' | 'postgres'): Promise<InspectorServer> {
  const prefix = `spane-ui-e2e-${randomUUID().slice(0, 8)}`;
  const schema = `spane_ui_e2e_${randomUUID().slice(0, 8)}`;
  const env: Record<string, string> = {
    PORT: '0',
    REDIS_URL,
    SPANE_REDIS_PREFIX: prefix,
    SPANE_API_KEYS: `${KEYS.admin}:default:admin,${KEYS.read}:default:read`,
    SPANE_NODES: NODES,
    LOG_LEVEL: 'info',
    WORKER_CONCURRENCY: '4',
  };
  if (store === 'postgres') Object.assign(env, { DATABASE_URL, DATABASE_SCHEMA: schema });
  const proc = spawnProc(process.execPath, ['--import', TSX, '--conditions=@spane/source', MAIN], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: cleanEnv(env),
  });
  const url = await waitFor('the server to listen', 40_000, () => {
    if (proc.child.exitCode !== null) throw new Error(`the server exited:\n${proc.output()}`);
    return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())?.[1];
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${KEYS.admin}` } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    const res = await fetch(`${url}${path}`, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const close = async () => {
    if (proc.child.exitCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exit;
    }
    await deletePrefix(REDIS_URL, prefix);
    if (store === 'postgres') {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    }
  };
  return { url, proc, api, close };
}

/** Saves a full-page screenshot as a test artifact; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '@spane/core';

/** One file of the inspector, read at registration and answered from memory. */
export interface UiAsset {
  body: Buffer;
  contentType: string;
  /** A strong validator: a hash of the bytes, quoted. */
  etag: string;
  cacheControl: string;
}

/** The inspector's files by their path under `/ui/` (`index.html`, `assets/index-….js`). */
export type UiAssets = ReadonlyMap<string, UiAsset>;

/**
 * Most files and bytes read from `assetsDir`: the inspector is a handful of small files,
 * and a directory given by mistake (a home directory, `/`) fails registration quickly.
 */
const MAX_FILES = 500;
const MAX_BYTES = 64 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** Files under `assets/` have content-hashed names (Vite's output): cached for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function missingBuild(dir: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `spaneHttp: ui.assetsDir ${dir} ${why}: build the inspector (@spane/ui) first, e.g. pnpm --filter @spane/ui build`,
  );
}

/** The regular files under `dir` (no dot files, no links), as paths relative to it with `/`. */
async function listFiles(dir: string, base: string, found: string[]): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw missingBuild(base, `cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(path, base, found);
    else if (entry.isFile()) found.push(relative(base, path).split(sep).join('/'));
    if (found.length > MAX_FILES) {
      throw new InvalidArgumentError(
        `spaneHttp: ui.assetsDir ${base} holds more than ${MAX_FILES} files: is it the inspector's build (uiAssetsDir of @spane/ui)?`,
      );
    }
  }
  return found;
}

/**
 * Reads the inspector's built files once (at registration) into memory, with their
 * content type, ETag and cache policy: `index.html` must be revalidated (`no-cache`),
 * files under `assets/` are immutable.
 * @throws InvalidArgumentError when the directory cannot be read, has no `index.html`, or
 * is far larger than a build of the inspector
 */
export async function loadUiAssets(dir: string): Promise<UiAssets> {
  const assetsDir = resolve(dir);
  const files = await listFiles(assetsDir, assetsDir, []);
  if (!files.includes('index.html')) throw missingBuild(assetsDir, 'has no index.html');
  const assets = new Map<string, UiAsset>();
  let total = 0;
  for (const path of files.sort()) {
    const body = await readFile(join(assetsDir, path));
    total += body.length;
    if (total > MAX_BYTES) {
      throw new InvalidArgumentError(
        `spaneHttp: ui.assetsDir ${assetsDir} holds more than ${MAX_BYTES / 1024 / 1024} MiB: is it the inspector's build (uiAssetsDir of @spane/ui)?`,
      );
    }
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    assets.set(path, {
      body,
      contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      etag: `"${hash}"`,
      cacheControl: path.startsWith('assets/') ? IMMUTABLE : 'no-cache',
    });
  }
  return assets;
}

/** Whether an `If-None-Match` header names `etag` (weak comparison, `*` included). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || (t.startsWith('W/') ? t.slice(2) : t) === etag;
  });
}

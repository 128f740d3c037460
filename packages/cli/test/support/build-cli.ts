import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built `bin.js` of the CLI that the tests run. */
    cliBin: string;
  }
}

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Builds the CLI once for the test run with the package's own tsc build (what is
 * published), into a scratch folder laid out like the package, so the tests run the
 * current sources as plain `node dist/bin.js` without a build of the package itself.
 */
export default function setup(project: TestProject): () => void {
  const out = mkdtempSync(join(tmpdir(), 'spane-cli-build-'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', join(packageDir, 'tsconfig.build.json'), '--outDir', join(out, 'dist')],
    { stdio: 'inherit' },
  );
  copyFileSync(join(packageDir, 'package.json'), join(out, 'package.json'));
  project.provide('cliBin', join(out, 'dist', 'bin.js'));
  return () => rmSync(out, { recursive: true, force: true });
}

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const index = join(root, 'packages/ui/dist/app/index.html');

/**
 * The server serves the inspector's built files (`@spane/ui`'s `dist/app/`) by default, and
 * fails to start without them. `npm test` builds every package before the tests; a test run
 * of its own in a fresh checkout builds the inspector here first.
 */
export default function setup(): void {
  if (existsSync(index)) return;
  // Vitest sets NODE_ENV=test, which Vite would build with: the build sees none, as in npm test.
  const { NODE_ENV: _, ...env } = process.env;
  execFileSync('bash', [join(root, 'scripts/pnpm.sh'), '--filter', '@spane/ui', 'build'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (!existsSync(index)) throw new Error(`building @spane/ui did not write ${index}`);
}

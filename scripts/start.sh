#!/usr/bin/env bash
# Starts the main job: apps/server (REST API + workers) with the embedded defaults —
# memory store, local Redis at REDIS_URL (started when it is installed but not running),
# port 3000 on 127.0.0.1. With no SPANE_API_KEYS it prints a generated admin key once.
#
#   npm start                  # from anywhere in the repository
#   PORT=3001 SPANE_NODES=./nodes.mjs npm start
#
# 1. installs the dependencies when node_modules does not match pnpm-lock.yaml (with
#    pnpm's progress on stderr; nothing is printed when there is nothing to do);
# 2. makes sure Redis answers (scripts/services.sh --redis-only);
# 3. builds apps/server and the packages it uses (turbo) when a dist/ is missing or older
#    than its sources (@spane/ui: the inspector's dist/app/index.html too);
# 4. replaces itself with `node apps/server/dist/main.js`, run in the directory the caller
#    started from (npm runs scripts in the package root and passes that directory as
#    INIT_CWD), so relative paths such as SPANE_NODES=./nodes.mjs resolve from there.
# The root package.json runs this as `exec bash scripts/start.sh`, so the process chain is
# npm → node: npm passes SIGTERM and SIGINT on to its child (npm 10.9 and 11 checked;
# releases from 9.6.7 until npm/run-script#188 was shipped, early in npm 10, did not), and
# the server shuts down gracefully. Through `sh -c` without `exec`, the shell in between
# would die of the signal and leave the server running.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
caller="$PWD"
if [ "${npm_lifecycle_event:-}" = "start" ] && [ -n "${INIT_CWD:-}" ] && [ -d "$INIT_CWD" ]; then
  caller="$INIT_CWD"
fi
cd "$root"

# 1. Install: pnpm keeps a copy of the lockfile it installed in node_modules/.pnpm/lock.yaml.
if ! cmp -s pnpm-lock.yaml node_modules/.pnpm/lock.yaml 2>/dev/null || [ ! -d apps/server/node_modules ]; then
  echo "start: installing dependencies (pnpm install --frozen-lockfile)…" >&2
  bash scripts/setup.sh >&2
fi

# 2. Redis.
bash scripts/services.sh --redis-only >&2

# 3. Build what is stale: apps/server and every workspace package it depends on.
stale="$(node --input-type=module -e '
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
const root = process.cwd();
const dirs = new Map();
for (const parent of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, parent))) {
    const file = join(root, parent, name, "package.json");
    if (existsSync(file)) dirs.set(JSON.parse(readFileSync(file, "utf8")).name, join(parent, name));
  }
}
const newest = (path) => {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
};
const seen = new Set();
const visit = (name) => {
  if (seen.has(name) || !dirs.has(name)) return;
  seen.add(name);
  const pkg = JSON.parse(readFileSync(join(root, dirs.get(name), "package.json"), "utf8"));
  for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
};
visit("@spane-apps/server");
const inputs = ["src", "package.json", "tsconfig.build.json", "vite.config.ts"];
for (const name of seen) {
  const dir = join(root, dirs.get(name));
  const outs = [join(dir, "dist", name === "@spane-apps/server" ? "main.js" : "index.js")];
  // @spane/ui: also the built inspector (dist/app), which the server serves.
  if (name === "@spane/ui") outs.push(join(dir, "dist", "app", "index.html"));
  const built = Math.min(...outs.map((out) => (existsSync(out) ? statSync(out).mtimeMs : 0)));
  const changed = Math.max(newest(join(root, "tsconfig.base.json")), ...inputs.map((i) => newest(join(dir, i))));
  if (built === 0 || changed > built) console.log(name);
}
')"
if [ -n "$stale" ]; then
  echo "start: building $(echo "$stale" | tr '\n' ' ')…" >&2
  TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 \
    bash scripts/pnpm.sh exec turbo run build --filter='@spane-apps/server...' --output-logs=errors-only >&2
fi

# 4. The server, in the caller's directory.
cd "$caller"
exec node "$root/apps/server/dist/main.js"

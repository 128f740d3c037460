#!/usr/bin/env bash
# The whole test suite: install, make sure Redis and PostgreSQL answer and a Chromium exists
# (scripts/browser.sh, exported as SPANE_CHROMIUM), then lint, check the
# README quick start and the TSDoc of every public export, typecheck, build, check the
# packed packages (contents, publint, attw, an npm install that runs the quick start), the
# server's production install (the Dockerfile's steps, scripts/check-deploy.sh) and test
# every package. `npm test` and `.ci/run` both run this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pnpm() { bash "$root/scripts/pnpm.sh" "$@"; }

bash scripts/setup.sh
bash scripts/services.sh
# A Chromium for the inspector's browser tests (installed when missing and possible).
SPANE_CHROMIUM="$(bash scripts/browser.sh)"
export SPANE_CHROMIUM
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

pnpm exec biome check .
node scripts/check-readme.mjs
node scripts/check-tsdoc.mjs
node scripts/check-sizes.mjs
pnpm exec turbo run typecheck build --output-logs=errors-only
report_dir="$(mktemp -d)"
pack_dir="$(mktemp -d)"
trap 'rm -rf "$report_dir" "$pack_dir"' EXIT
bash scripts/check-pack.sh --out "$pack_dir"
bash scripts/check-install.sh "$pack_dir"
bash scripts/check-deploy.sh
bash scripts/check-bun.sh
export SPANE_TEST_REPORT_DIR="$report_dir"
set +e
pnpm exec turbo run test --concurrency=1 --continue
rc=$?
set -e
node scripts/test-summary.mjs "$report_dir"
exit "$rc"

#!/usr/bin/env bash
# Packs apps/server and the workspace packages it depends on at run time (its production
# dependencies, followed transitively) into OUT with `pnpm pack`, which rewrites their
# `workspace:*` ranges to versions and applies `publishConfig`. apps/server is private (it
# is never published to a registry) but packs like the others. Run after the build.
# The Dockerfile's build stage and scripts/check-deploy.sh both run this.
#
#   bash scripts/pack-server.sh OUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: pack-server.sh OUT}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
[ -f "$root/apps/server/dist/main.js" ] || {
  echo "pack-server: apps/server is not built (run: bash scripts/pnpm.sh build)" >&2
  exit 1
}
cd "$root"
bash scripts/pnpm.sh --filter-prod '@spane-apps/server...' -r pack --pack-destination "$out" >/dev/null
ls "$out"/*.tgz >/dev/null
echo "pack-server: $(cd "$out" && ls -- *.tgz | tr '\n' ' ')"

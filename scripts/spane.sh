#!/usr/bin/env bash
# Runs the spane CLI (packages/cli) from its TypeScript sources, without a build:
#
#   npm run -s spane -- workflows list      # or: bash scripts/spane.sh workflows list
#
# File arguments are resolved from the directory you ran it in (npm's INIT_CWD), not from
# the repository root. Installs the dependencies first when they are missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tsx="$root/node_modules/.bin/tsx"
if [ ! -x "$tsx" ]; then
  bash "$root/scripts/setup.sh" >&2
fi
if [ "${npm_lifecycle_event:-}" = spane ] && [ -n "${INIT_CWD:-}" ]; then cd "$INIT_CWD"; fi
exec "$tsx" "$root/packages/cli/src/bin.ts" "$@"

#!/usr/bin/env bash
# Starts the main job. Until apps/server exists this runs the planning example:
# a workflow validated, compiled and stepped through the in-memory store.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh >/dev/null
exec bash scripts/pnpm.sh --filter @spane-examples/planning start

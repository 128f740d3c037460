#!/usr/bin/env bash
# Installs the workspace's dependencies from the lockfile with the pinned pnpm.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ -f pnpm-lock.yaml ]; then
  bash scripts/pnpm.sh install --frozen-lockfile --prefer-offline
else
  bash scripts/pnpm.sh install
fi

#!/usr/bin/env bash
# Runs the pnpm version pinned in package.json ("packageManager"), on a machine that has
# only Node.js and npm. Order: a pnpm on PATH of exactly that version; corepack (with its
# registry-signature check off, which fails against mirrors); npx as the last resort.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="$(node -p "require('$root/package.json').packageManager.split('@')[1]")"
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$want" ]; then
  exec pnpm "$@"
fi
if command -v corepack >/dev/null 2>&1; then
  export COREPACK_INTEGRITY_KEYS=0 COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_ENABLE_STRICT=0
  if corepack "pnpm@$want" --version >/dev/null 2>&1; then
    exec corepack "pnpm@$want" "$@"
  fi
fi
exec npx --yes "pnpm@$want" "$@"

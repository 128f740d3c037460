#!/usr/bin/env bash
# Runs the pnpm version pinned in package.json ("packageManager") on a machine that has
# only Node.js and npm. Order: a pnpm on PATH of exactly that version; corepack (with its
# registry-signature check off, which fails against some registries); npx as the last
# resort. Tools that call `pnpm` themselves (turbo) find it through a small shim in
# .tools/bin, put first on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="$(node -p "require('$root/package.json').packageManager.split('@')[1]")"
shim_dir="$root/.tools/bin"
export COREPACK_INTEGRITY_KEYS=0 COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_ENABLE_STRICT=0

if [ ! -x "$shim_dir/pnpm" ] || ! grep -q "pnpm@$want\|pnpm $want" "$shim_dir/pnpm" 2>/dev/null; then
  mkdir -p "$shim_dir"
  real=""
  IFS=: read -ra dirs <<<"$PATH"
  for d in "${dirs[@]}"; do
    [ "$d" = "$shim_dir" ] && continue
    if [ -x "$d/pnpm" ] && [ "$("$d/pnpm" --version 2>/dev/null)" = "$want" ]; then real="$d/pnpm"; break; fi
  done
  if [ -n "$real" ]; then
    runner="exec \"$real\" \"\$@\" # pnpm $want"
  elif command -v corepack >/dev/null 2>&1 && corepack "pnpm@$want" --version >/dev/null 2>&1; then
    runner="exec corepack pnpm@$want \"\$@\""
  else
    runner="exec npx --yes pnpm@$want \"\$@\""
  fi
  cat >"$shim_dir/pnpm.tmp" <<SHIM
#!/usr/bin/env bash
export COREPACK_INTEGRITY_KEYS=0 COREPACK_ENABLE_DOWNLOAD_PROMPT=0 COREPACK_ENABLE_STRICT=0
$runner
SHIM
  chmod +x "$shim_dir/pnpm.tmp"
  mv "$shim_dir/pnpm.tmp" "$shim_dir/pnpm"
fi
export PATH="$shim_dir:$PATH"
exec "$shim_dir/pnpm" "$@"

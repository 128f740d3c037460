#!/usr/bin/env bash
# Packs every public package and checks that the tarball ships built code and types but
# no tests or sources of tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0
for dir in "$root"/packages/*/; do
  name="$(node -p "require('${dir}package.json').name")"
  private="$(node -p "Boolean(require('${dir}package.json').private)")"
  [ "$private" = "true" ] && continue
  (cd "$dir" && bash "$root/scripts/pnpm.sh" pack --pack-destination "$out" >/dev/null)
  tarball="$(ls -t "$out"/*.tgz | head -n 1)"
  files="$(tar -tzf "$tarball")"
  if printf '%s\n' "$files" | grep -Eq '(\.test\.|\.spec\.|/test/|/tests/|__tests__)'; then
    echo "check-pack: $name ships test files:" >&2
    printf '%s\n' "$files" | grep -E '(\.test\.|\.spec\.|/test/|/tests/|__tests__)' >&2
    status=1
  fi
  for required in package/dist/index.js package/dist/index.d.ts package/package.json; do
    printf '%s\n' "$files" | grep -qx "$required" || { echo "check-pack: $name lacks $required" >&2; status=1; }
  done
  rm -f "$tarball"
  echo "check-pack: $name ok ($(printf '%s\n' "$files" | wc -l) files)"
done
exit "$status"

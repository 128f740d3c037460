#!/usr/bin/env bash
# Packs every public package with `pnpm pack` (which rewrites `workspace:*` dependencies to
# versions and applies `publishConfig`) and checks each tarball:
#   - it ships built code and types (dist/index.js, dist/index.d.ts) and its README, but no
#     tests (@spane/ui: also the inspector's dist/app/index.html); its package.json has no workspace: ranges and no @spane/source export condition;
#   - publint finds no error or warning in it (--strict);
#   - @arethetypeswrong/cli finds no problem with the esm-only profile: the packages are
#     ESM only ("type": "module", an "import" condition and no "require"), so resolution
#     from CommonJS under node16 and the node10 resolver are not checked.
# Run after the build (scripts/test.sh does).
#
#   bash scripts/check-pack.sh [--out DIR]   # --out: keep the tarballs in DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep=""
if [ "${1:-}" = "--out" ]; then
  keep="${2:?--out needs a directory}"
  mkdir -p "$keep"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bin="$root/node_modules/.bin"
for tool in publint attw; do
  [ -x "$bin/$tool" ] || { echo "check-pack: $bin/$tool is missing (run scripts/setup.sh)" >&2; exit 1; }
done
status=0
for dir in "$root"/packages/*/; do
  name="$(node -p "require('${dir}package.json').name")"
  private="$(node -p "Boolean(require('${dir}package.json').private)")"
  [ "$private" = "true" ] && continue
  [ -f "${dir}dist/index.js" ] || { echo "check-pack: $name is not built (${dir}dist/index.js)" >&2; status=1; continue; }
  rm -f "$out"/*.tgz
  (cd "$dir" && bash "$root/scripts/pnpm.sh" pack --pack-destination "$out" >/dev/null)
  tarball="$(ls -t "$out"/*.tgz | head -n 1)"
  files="$(tar -tzf "$tarball")"
  pkg_ok=1
  if grep -Eq '(\.test\.|\.spec\.|/test/|/tests/|__tests__)' <<<"$files"; then
    echo "check-pack: $name ships test files:" >&2
    printf '%s\n' "$files" | grep -E '(\.test\.|\.spec\.|/test/|/tests/|__tests__)' >&2
    pkg_ok=0
  fi
  # The inspector's package is its built files.
  extra=()
  [ "$name" = "@spane/ui" ] && extra=(package/dist/app/index.html)
  for required in package/dist/index.js package/dist/index.d.ts package/package.json package/README.md ${extra[@]+"${extra[@]}"}; do
    # A here-string, not a pipe: with pipefail, grep -q leaving early can fail printf (SIGPIPE).
    grep -qx "$required" <<<"$files" || { echo "check-pack: $name lacks $required" >&2; pkg_ok=0; }
  done
  # The in-repo condition pointing at src/ must not reach the published package.json.
  if tar -xzOf "$tarball" package/package.json |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.exit(JSON.stringify(JSON.parse(s).exports??{}).includes("@spane/source")?0:1))'; then
    echo "check-pack: $name publishes the @spane/source export condition (set publishConfig.exports)" >&2
    pkg_ok=0
  fi
  if tar -xzOf "$tarball" package/package.json | grep -q '"workspace:'; then
    echo "check-pack: $name's packed package.json still has workspace: ranges" >&2
    pkg_ok=0
  fi
  if ! lint="$("$bin/publint" --strict "$tarball" 2>&1)"; then
    echo "check-pack: publint found problems in $name:" >&2
    printf '%s\n' "$lint" >&2
    pkg_ok=0
  fi
  if ! types="$("$bin/attw" --profile esm-only --format ascii --no-emoji "$tarball" 2>&1)"; then
    echo "check-pack: @arethetypeswrong/cli found problems in $name:" >&2
    printf '%s\n' "$types" >&2
    pkg_ok=0
  fi
  [ -n "$keep" ] && cp "$tarball" "$keep/"
  if [ "$pkg_ok" = 1 ]; then
    echo "check-pack: $name ok ($(printf '%s\n' "$files" | wc -l) files; publint, attw clean)"
  else
    status=1
  fi
done
exit "$status"

#!/usr/bin/env bash
# Runs one example of examples/<name> (its `start` script): `npm run example -- dlq`.
# With no name or an unknown one, lists the examples and exits 2.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:-}"
# An example is a folder of examples/ whose package.json has a `start` script (the shared
# harness, examples/kit, has none).
runnable() {
  [ -f "$1/package.json" ] && node -e "process.exit(require('$1/package.json').scripts?.start ? 0 : 1)"
}
list() {
  echo "usage: npm run example -- <name>" >&2
  echo "examples:" >&2
  for dir in "$root"/examples/*/; do
    runnable "$dir" || continue
    n="$(basename "$dir")"
    desc="$(node -p "require('${dir}package.json').description ?? ''")"
    printf '  %-22s %s\n' "$n" "$desc" >&2
  done
}
if [ -z "$name" ] || [[ "$name" == */* ]] || ! runnable "$root/examples/$name"; then
  [ -n "$name" ] && echo "unknown example: $name" >&2
  list
  exit 2
fi
cd "$root"
exec bash scripts/pnpm.sh --filter "@spane-examples/$name" start

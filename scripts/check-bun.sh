#!/usr/bin/env bash
# Runs every runnable example of examples/ (a folder whose package.json has a `start`
# script, as scripts/example.sh counts them) under Bun instead of Node.js: the example's
# `start` command (`tsx <flags> <entry>`) with `bun` in place of `tsx`, so Bun resolves the
# workspace packages through their `@spane/source` condition and runs the TypeScript
# sources itself. Each example must exit 0; one line per example with its time. Bun is the
# root devDependency `bun` (its npm package installs the binary); the README names the
# version tested, and this script fails when it names another. A failing example shows the
# last 40 lines of its output.
#
#   bash scripts/check-bun.sh              # every example
#   bash scripts/check-bun.sh dlq triggers # only these
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

bun="$root/node_modules/.bin/bun"
if ! version="$("$bun" --version 2>&1)"; then
  echo "check-bun: $bun does not run (install with scripts/setup.sh):" >&2
  echo "$version" >&2
  exit 1
fi
if ! grep -q "Bun $version" README.md; then
  echo "check-bun: README.md does not say that Bun $version is the version tested" >&2
  exit 1
fi

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for dir in examples/*/; do names+=("$(basename "$dir")"); done
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "check-bun: the examples under Bun $version"
passed=0
failed=0
for name in "${names[@]}"; do
  dir="examples/$name"
  [ -f "$dir/package.json" ] || { echo "check-bun: no example $name" >&2; exit 2; }
  start="$(node -p "require('./$dir/package.json').scripts?.start ?? ''")"
  [ -n "$start" ] || continue # not runnable (examples/kit)
  if [[ "$start" != "tsx "* ]]; then
    echo "check-bun: $name: its start script is not \`tsx …\`: $start" >&2
    exit 1
  fi
  read -ra args <<<"${start#tsx }"
  began="$(date +%s%N)"
  set +e
  (cd "$dir" && timeout 120 "$bun" "${args[@]}") >"$log" 2>&1
  rc=$?
  set -e
  ms=$((($(date +%s%N) - began) / 1000000))
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    printf '  ok    %-22s %6d ms\n' "$name" "$ms"
  else
    failed=$((failed + 1))
    printf '  FAIL  %-22s %6d ms (exit %d)\n' "$name" "$ms" "$rc"
    tail -n 40 "$log" | sed 's/^/        /' # the end of its output
  fi
done
echo "check-bun: $passed examples ran under Bun $version, $failed did not"
[ "$failed" -eq 0 ]

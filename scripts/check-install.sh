#!/usr/bin/env bash
# Installs the packed @spane/* tarballs the way a user would and runs the quick start there.
#
#   bash scripts/check-install.sh [PACK_DIR]
#
# PACK_DIR holds the tarballs written by `scripts/check-pack.sh --out PACK_DIR` (`pnpm pack`,
# so `workspace:*` dependencies are already rewritten to versions); without it this script
# packs them itself. Then, in a scratch project made with mktemp -d outside the workspace:
#   1. `npm install` of every local .tgz (third-party dependencies and peers from the
#      registry; the npm cache is reused and preferred, so later runs are fast);
#   2. the quick start, examples/data-passing/src/main.ts copied unchanged, is typechecked
#      against the installed .d.ts and compiled with the scratch project's own typescript,
#      then run with plain node against Redis at REDIS_URL (default redis://127.0.0.1:6379);
#      it must exit 0;
#   3. every package is imported by name from the scratch project, the inspector's files are
#      where `uiAssetsDir` of @spane/ui says, and the `spane` command of @spane/cli runs;
#   4. @spane/store-testkit's runStoreConformance runs against the installed
#      @spane/store-memory with the installed vitest (the testkit's peer dependency).
# Nothing in the workspace can be resolved from there, so the run sees only what was packed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS
quick_start="$root/examples/data-passing/src/main.ts"
[ -f "$quick_start" ] || { echo "check-install: $quick_start is missing" >&2; exit 1; }

scratch="$(mktemp -d "${TMPDIR:-/tmp}/spane-install-check.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
case "$scratch/" in
  "$root"/*) echo "check-install: scratch dir $scratch is inside the workspace" >&2; exit 1 ;;
esac

pack_dir="${1:-}"
if [ -z "$pack_dir" ]; then
  pack_dir="$scratch/tarballs"
  mkdir -p "$pack_dir"
  bash "$root/scripts/check-pack.sh" --out "$pack_dir"
fi
shopt -s nullglob
tarballs=("$pack_dir"/*.tgz)
shopt -u nullglob
[ "${#tarballs[@]}" -gt 0 ] || { echo "check-install: no tarballs in $pack_dir" >&2; exit 1; }
names=()
for t in "${tarballs[@]}"; do
  names+=("$(tar -xzOf "$t" package/package.json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).name))')")
done

project="$scratch/project"
mkdir -p "$project/src" "$project/test"
cp "$quick_start" "$project/src/main.ts"
cat >"$project/package.json" <<'JSON'
{ "name": "spane-install-check", "private": true, "version": "0.0.0", "type": "module" }
JSON
cat >"$project/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "skipLibCheck": true,
    "types": ["node"],
    "rootDir": "src",
    "outDir": "dist"
  },
  "include": ["src"]
}
JSON

# The versions the workspace builds with (root package.json), so the check does not drift.
ts_version="$(node -p "require('$root/package.json').devDependencies.typescript")"
cd "$project"
echo "check-install: npm install of ${#tarballs[@]} tarballs into $project"
npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "${tarballs[@]}" "typescript@$ts_version" "@types/node@^20.19.0" >"$scratch/npm.log" 2>&1 || {
  cat "$scratch/npm.log" >&2
  echo "check-install: npm install failed" >&2
  exit 1
}
for name in "${names[@]}"; do
  [ -f "node_modules/$name/package.json" ] || { echo "check-install: $name was not installed" >&2; exit 1; }
  if [ -L "node_modules/$name" ]; then echo "check-install: $name is a link, not an installed tarball" >&2; exit 1; fi
done
echo "check-install: installed in $((SECONDS - start)) s"

./node_modules/.bin/tsc -p tsconfig.json || { echo "check-install: the quick start does not typecheck against the installed packages" >&2; exit 1; }

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
# A key prefix of its own (the Redis server may be shared), deleted afterwards.
export SPANE_PREFIX="spane-install-check-$$-$RANDOM"
# shellcheck source=redis-prefix.sh
source "$root/scripts/redis-prefix.sh"
cleanup_redis() {
  delete_redis_prefix "$project" "$SPANE_PREFIX" ||
    echo "check-install: could not delete the Redis keys under $SPANE_PREFIX" >&2
}
quick_start_rc=0
node dist/main.js >"$scratch/quick-start.log" 2>&1 || quick_start_rc=$?
cleanup_redis
if [ "$quick_start_rc" != 0 ]; then
  cat "$scratch/quick-start.log" >&2
  echo "check-install: the quick start exited with status $quick_start_rc" >&2
  exit 1
fi
echo "check-install: quick start ok ($(tail -n 1 "$scratch/quick-start.log"))"

# Every package loads by name from a plain ESM project.
node --input-type=module -e "
for (const name of process.argv.slice(1)) {
  const mod = await import(name);
  if (Object.keys(mod).length === 0) throw new Error(name + ' exports nothing');
}
" -- "${names[@]}" || { echo "check-install: importing the installed packages failed" >&2; exit 1; }
echo "check-install: imported ${names[*]}"

# The inspector's built files, where @spane/ui's export says they are.
if [ -f node_modules/@spane/ui/package.json ]; then
  node --input-type=module -e "
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { uiAssetsDir } from '@spane/ui';
if (!existsSync(join(uiAssetsDir, 'index.html'))) throw new Error(uiAssetsDir + ' has no index.html');
console.log('check-install: the inspector is at uiAssetsDir (' + uiAssetsDir + ')');
" || { echo "check-install: the installed @spane/ui has no built inspector" >&2; exit 1; }
fi

# The spane command, as npm linked it from @spane/cli's "bin".
if [ -f node_modules/@spane/cli/package.json ]; then
  cli_version="$(node -p "require('./node_modules/@spane/cli/package.json').version")"
  spane_version="$(./node_modules/.bin/spane --version)" || { echo "check-install: spane --version failed" >&2; exit 1; }
  [ "$spane_version" = "$cli_version" ] || { echo "check-install: spane --version printed '$spane_version', not $cli_version" >&2; exit 1; }
  ./node_modules/.bin/spane --help >/dev/null || { echo "check-install: spane --help failed" >&2; exit 1; }
  echo "check-install: the spane command runs (version $spane_version)"
fi

# The testkit, as an adapter author uses it: against the installed memory store.
cat >"$project/test/store.test.mjs" <<'JS'
import { InMemoryExecutionStore } from '@spane/store-memory';
import { runStoreConformance } from '@spane/store-testkit';

runStoreConformance({ name: 'installed store-memory', createStore: () => new InMemoryExecutionStore() });
JS
if [ -x node_modules/.bin/vitest ]; then
  if ! ./node_modules/.bin/vitest run --root "$project" --dir test >"$scratch/vitest.log" 2>&1; then
    cat "$scratch/vitest.log" >&2
    echo "check-install: the store testkit failed against the installed memory store" >&2
    exit 1
  fi
  echo "check-install: store testkit ok ($(sed 's/\x1b\[[0-9;]*m//g' "$scratch/vitest.log" | grep -E '^ *Tests ' | tr -s ' ' | sed 's/^ //'))"
else
  echo "check-install: vitest (peer of @spane/store-testkit) was not installed" >&2
  exit 1
fi
echo "check-install: ok in $((SECONDS - start)) s"

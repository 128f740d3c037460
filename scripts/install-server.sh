#!/usr/bin/env bash
# Installs the server for production from the tarballs of scripts/pack-server.sh: an
# `npm install --omit=dev` of every .tgz in PACKS into APP (created), so APP/node_modules
# holds the server, the @spane/* packages it uses (the inspector's built files of @spane/ui
# included) and their third-party dependencies, and no development tools. Start it with `node APP/node_modules/@spane-apps/server/dist/main.js`
# (or APP/node_modules/.bin/spane-server). The Dockerfile's runtime stage and
# scripts/check-deploy.sh both run this.
#
#   bash scripts/install-server.sh PACKS APP
set -euo pipefail
packs="${1:?usage: install-server.sh PACKS APP}"
app="${2:?usage: install-server.sh PACKS APP}"
shopt -s nullglob
tarballs=("$(cd "$packs" && pwd)"/*.tgz)
shopt -u nullglob
[ "${#tarballs[@]}" -gt 0 ] || { echo "install-server: no tarballs in $packs" >&2; exit 1; }
mkdir -p "$app"
cd "$app"
cat >package.json <<'JSON'
{ "name": "spane-server-app", "private": true, "version": "0.0.0" }
JSON
# --prefer-offline: reuse the npm cache when it has a package (an empty cache, as in the
# image build, fetches everything).
npm install --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error "${tarballs[@]}"
[ -f node_modules/@spane-apps/server/dist/main.js ] || {
  echo "install-server: node_modules/@spane-apps/server/dist/main.js is missing after the install" >&2
  exit 1
}
# The inspector the server serves at /ui/ (SPANE_UI, on by default).
[ -f node_modules/@spane/ui/dist/app/index.html ] || {
  echo "install-server: node_modules/@spane/ui/dist/app/index.html (the inspector) is missing after the install" >&2
  exit 1
}
echo "install-server: installed ${#tarballs[@]} tarballs into $app"

#!/usr/bin/env bash
# Checks the production install of the server the way the Dockerfile makes it, without
# Docker: the same scripts, on this machine's Node.js.
#   1. scripts/pack-server.sh: `pnpm pack` of apps/server and the @spane/* packages it uses
#      (the image's build stage; the build itself must have run, as scripts/test.sh does);
#   2. scripts/install-server.sh: `npm install --omit=dev` of those tarballs into a scratch
#      directory made with mktemp -d outside the workspace (the image's runtime stage);
#      no development tool (tsx, typescript, vitest) may end up there;
#   3. `node node_modules/@spane-apps/server/dist/main.js` started there (any free port,
#      the memory store, Redis at REDIS_URL under a key prefix of its own, an API key from
#      SPANE_API_KEYS); /health/ready must answer 200 within 30 s, the inspector must be
#      served at /ui/ (its page and every asset it names), then a workflow is registered and
#      one execution runs to completion over HTTP;
#   4. SIGTERM to the server's PID: it must exit with status 0 within 20 s.
#
#   bash scripts/check-deploy.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS
scratch="$(mktemp -d "${TMPDIR:-/tmp}/spane-deploy-check.XXXXXX")"
case "$scratch/" in
  "$root"/*) echo "check-deploy: scratch dir $scratch is inside the workspace" >&2; rm -rf "$scratch"; exit 1 ;;
esac
app="$scratch/app"
log="$scratch/server.log"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
prefix="spane-deploy-check-$$-$RANDOM"
key="deploy-check-$(node -p 'require("node:crypto").randomBytes(12).toString("hex")')"
server_pid=""

# shellcheck source=redis-prefix.sh
source "$root/scripts/redis-prefix.sh"
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  if [ -d "$app/node_modules/ioredis" ]; then
    delete_redis_prefix "$app" "$prefix" ||
      echo "check-deploy: could not delete the Redis keys under $prefix" >&2
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() {
  [ -f "$log" ] && { echo "--- server log" >&2; tail -n 40 "$log" >&2; }
  echo "check-deploy: $*" >&2
  exit 1
}

# 1–2. Pack and install, as the image does.
bash "$root/scripts/pack-server.sh" "$scratch/packs"
bash "$root/scripts/install-server.sh" "$scratch/packs" "$app" >"$scratch/npm.log" 2>&1 || {
  cat "$scratch/npm.log" >&2
  fail "the production install failed"
}
echo "check-deploy: production install in $((SECONDS - start)) s"
for dev in tsx typescript vitest @types/node; do
  [ ! -e "$app/node_modules/$dev" ] || fail "$dev (a development tool) was installed"
done
main="$app/node_modules/@spane-apps/server/dist/main.js"
[ -x "$app/node_modules/.bin/spane-server" ] || fail "the spane-server bin was not linked"

# 3. Start it there, with nothing of the workspace on hand (env -i: only what the image sets).
cd "$app"
env -i PATH="$PATH" HOME="${HOME:-/tmp}" NODE_ENV=production \
  PORT=0 HOST=127.0.0.1 REDIS_URL="$REDIS_URL" SPANE_REDIS_PREFIX="$prefix" \
  SPANE_API_KEYS="$key:default:admin" LOG_LEVEL=info \
  node "$main" >"$log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + 30))
url=""
until [ -n "$url" ]; do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start"
  [ "$SECONDS" -lt "$deadline" ] || fail "the server did not listen within 30 s"
  url="$(grep -o 'Server listening at http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 | sed 's/^Server listening at //')" || true
  [ -n "$url" ] || sleep 0.2
done

SPANE_URL="$url" SPANE_KEY="$key" node --input-type=module -e "
const url = process.env.SPANE_URL;
const headers = { authorization: 'Bearer ' + process.env.SPANE_KEY, 'content-type': 'application/json' };
const fail = (msg) => { console.error('check-deploy: ' + msg); process.exit(1); };
const until = async (what, ms, check) => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail('timed out after ' + ms + ' ms waiting for ' + what);
    await new Promise((r) => setTimeout(r, 100));
  }
};
await until('/health/ready', 30_000, async () => ((await fetch(url + '/health/ready')).status === 200 ? true : undefined));
const index = await (await fetch(url + '/')).json();
if (index.docs !== '/docs') fail('GET / does not point at /docs: ' + JSON.stringify(index));
if (index.ui !== '/ui/') fail('GET / does not point at /ui/: ' + JSON.stringify(index));
const page = await fetch(url + '/ui/');
const html = await page.text();
if (page.status !== 200 || !page.headers.get('content-type')?.startsWith('text/html')) {
  fail('GET /ui/ answered ' + page.status + ' ' + page.headers.get('content-type'));
}
if (!page.headers.get('content-security-policy')?.includes(\"default-src 'self'\")) fail('GET /ui/ has no CSP');
const assets = [...html.matchAll(/(?:src|href)=\"\\.\\/(assets\\/[^\"]+)\"/g)].map((m) => m[1]);
if (assets.length === 0) fail('the inspector page names no assets: ' + html);
for (const asset of assets) {
  const res = await fetch(url + '/ui/' + asset);
  if (res.status !== 200) fail('GET /ui/' + asset + ' answered ' + res.status);
}
console.log('check-deploy: the inspector at ' + url + '/ui/ with its ' + assets.length + ' assets');
const registered = await fetch(url + '/api/workflows', {
  method: 'POST',
  headers,
  body: JSON.stringify({
    id: 'deploy-check',
    name: 'deploy check',
    nodes: [
      { id: 'shape', type: 'transform', config: { pick: ['order.id'], set: { 'checked': true } } },
      { id: 'done', type: 'noop', inputs: ['shape'] },
    ],
  }),
});
if (registered.status !== 201) fail('registering the workflow answered ' + registered.status + ': ' + (await registered.text()));
const started = await fetch(url + '/api/workflows/deploy-check/execute', {
  method: 'POST',
  headers,
  body: JSON.stringify({ initialData: { order: { id: 42, secret: 'x' } } }),
});
if (started.status !== 202) fail('executing answered ' + started.status + ': ' + (await started.text()));
const { executionId } = await started.json();
const state = await until('the execution to finish', 30_000, async () => {
  const s = await (await fetch(url + '/api/executions/' + executionId, { headers })).json();
  return ['completed', 'failed', 'cancelled'].includes(s.status) ? s : undefined;
});
const data = JSON.stringify(state.nodeResults?.done?.data);
if (state.status !== 'completed' || data !== '{\"order\":{\"id\":42},\"checked\":true}') {
  fail('the execution ended ' + state.status + ' with ' + data);
}
console.log('check-deploy: execution ' + executionId + ' completed over HTTP at ' + url);
" || fail "the HTTP check failed"

# 4. SIGTERM: a graceful exit with status 0.
kill -TERM "$server_pid"
deadline=$((SECONDS + 20))
while kill -0 "$server_pid" 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the server did not exit within 20 s of SIGTERM"
  sleep 0.1
done
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" = 0 ] || fail "the server exited with status $rc after SIGTERM"
grep -q '"msg":"shutting down"' "$log" || fail "the server did not log its shutdown"
echo "check-deploy: ok in $((SECONDS - start)) s (the image itself was not built: this runs its steps)"

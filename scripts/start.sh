#!/usr/bin/env bash
# Starts the main job: apps/server (REST API + workers) with the embedded defaults —
# memory store, local Redis at REDIS_URL (started when it is installed but not running),
# port 3000 on 127.0.0.1. With no SPANE_API_KEYS it prints a generated admin key once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh >/dev/null
bash scripts/services.sh --redis-only
exec bash scripts/pnpm.sh --silent --filter @spane-apps/server start

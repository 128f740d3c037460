#!/usr/bin/env bash
# Makes sure the services the tests and the server need answer on loopback:
#   Redis      at $REDIS_URL     (default redis://127.0.0.1:6379)
#   PostgreSQL at $DATABASE_URL  (default postgres://postgres@127.0.0.1:5432/test; skipped with --redis-only)
# A service that does not answer is started when its server is installed
# (redis-server / pg_ctlcluster); otherwise this stops with what to install.
# It only ever starts services; it never stops or restarts one.
set -euo pipefail

redis_only=0
[ "${1:-}" = "--redis-only" ] && redis_only=1

redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${redis_url#*://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
redis_host="${hostport%%:*}"; redis_port="${hostport##*:}"
[ "$redis_port" = "$hostport" ] && redis_port=6379

redis_answers() {
  # PING over a plain TCP socket; needs no redis-cli.
  local reply
  reply=$( (exec 3<>"/dev/tcp/$redis_host/$redis_port" && printf 'PING\r\n' >&3 && timeout 2 head -c 7 <&3) 2>/dev/null || true)
  [[ "$reply" == "+PONG"* ]]
}

wait_for() { # wait_for <seconds> <command...>
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

if redis_answers; then
  echo "services: Redis answers at $redis_host:$redis_port"
elif command -v redis-server >/dev/null 2>&1; then
  echo "services: Redis does not answer at $redis_host:$redis_port; starting redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no \
    --dir /tmp --logfile "/tmp/spane-redis-$redis_port.log"
  wait_for 20 redis_answers || { echo "services: redis-server did not come up (see /tmp/spane-redis-$redis_port.log)" >&2; exit 1; }
  echo "services: Redis started at $redis_host:$redis_port"
else
  cat >&2 <<MSG
services: Redis does not answer at $redis_host:$redis_port and redis-server is not installed.
Install it (Debian/Ubuntu: apt-get install -y redis-server), or point REDIS_URL at a running Redis >= 6.2.
MSG
  exit 1
fi

[ "$redis_only" = 1 ] && exit 0

pg_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_rest="${pg_url#*://}"; pg_user="${pg_rest%%@*}"; pg_user="${pg_user%%:*}"
pg_hostport="${pg_rest#*@}"; pg_hostport="${pg_hostport%%/*}"
pg_host="${pg_hostport%%:*}"; pg_port="${pg_hostport##*:}"
[ "$pg_port" = "$pg_hostport" ] && pg_port=5432
pg_db="${pg_rest##*/}"; pg_db="${pg_db%%\?*}"

pg_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$pg_host" -p "$pg_port"
  else
    (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null
  fi
}

if pg_answers; then
  echo "services: PostgreSQL answers at $pg_host:$pg_port"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  echo "services: PostgreSQL does not answer at $pg_host:$pg_port; starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for 30 pg_answers || { echo "services: PostgreSQL did not come up" >&2; exit 1; }
  echo "services: PostgreSQL started at $pg_host:$pg_port"
else
  cat >&2 <<MSG
services: PostgreSQL does not answer at $pg_host:$pg_port and no cluster is installed.
Install it (Debian/Ubuntu: apt-get install -y postgresql), allow user '$pg_user' to connect over
127.0.0.1 (trust or a password in DATABASE_URL), or point DATABASE_URL at a running PostgreSQL >= 13.
MSG
  exit 1
fi

if command -v psql >/dev/null 2>&1; then
  if ! psql "$pg_url" -Atc 'select 1' >/dev/null 2>&1; then
    admin_url="${pg_url%/*}/postgres"
    if psql "$admin_url" -Atc 'select 1' >/dev/null 2>&1; then
      echo "services: creating database $pg_db"
      psql "$admin_url" -qc "create database \"$pg_db\"" >/dev/null
    elif command -v runuser >/dev/null 2>&1 && id postgres >/dev/null 2>&1; then
      runuser -u postgres -- psql -qc "create database \"$pg_db\"" >/dev/null 2>&1 || true
    fi
  fi
  psql "$pg_url" -Atc 'select 1' >/dev/null 2>&1 || {
    echo "services: cannot connect to $pg_url (check that user '$pg_user' may log in over TCP)" >&2
    exit 1
  }
  echo "services: database $pg_db is reachable"
fi

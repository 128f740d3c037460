#!/usr/bin/env bash
# Makes sure a Chromium exists for the inspector's browser tests and prints its path on
# stdout (scripts/test.sh exports it as SPANE_CHROMIUM):
#   1. SPANE_CHROMIUM, when set: that binary (it must be executable);
#   2. else /usr/bin/chromium, when it exists;
#   3. else, as root with apt-get: `apt-get install -y chromium` (Debian's package; when the
#      install fails, e.g. for lack of package lists, `apt-get update` and once more), quiet
#      but for one line on stderr, and its output shown only when it fails;
#   4. else it exits 1 saying what to install.
# It never removes or upgrades anything.
#
#   bash scripts/browser.sh          # prints e.g. /usr/bin/chromium
set -euo pipefail

DEFAULT=/usr/bin/chromium
HOW="install Chromium (as root: apt-get install -y chromium), or set SPANE_CHROMIUM to the path of a Chromium or Chrome binary"

if [ -n "${SPANE_CHROMIUM:-}" ]; then
  if [ -f "$SPANE_CHROMIUM" ] && [ -x "$SPANE_CHROMIUM" ]; then
    echo "$SPANE_CHROMIUM"
    exit 0
  fi
  echo "browser: SPANE_CHROMIUM=$SPANE_CHROMIUM is not an executable file: $HOW" >&2
  exit 1
fi

if [ -x "$DEFAULT" ]; then
  echo "$DEFAULT"
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "browser: no Chromium at $DEFAULT: $HOW" >&2
  exit 1
fi

echo "browser: installing Chromium for the browser tests (apt-get install -y chromium)…" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q chromium >>"$log" 2>&1; }
if ! install; then
  # Often no package lists yet (a fresh container) or stale ones: fetch them and retry once.
  if ! apt-get update -q >>"$log" 2>&1 || ! install; then
    tail -n 20 "$log" >&2
    echo "browser: apt-get could not install chromium: $HOW" >&2
    exit 1
  fi
fi
if [ ! -x "$DEFAULT" ]; then
  echo "browser: apt-get installed chromium but $DEFAULT is missing: $HOW" >&2
  exit 1
fi
echo "$DEFAULT"

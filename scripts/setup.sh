#!/usr/bin/env bash
# Installs everything this project needs on a fresh machine. Safe to run again.
#   bash scripts/setup.sh            pnpm, dependencies, build, and Debian's redis-server (fleet-mode tests)
#   bash scripts/setup.sh --browser  the same, plus Debian's Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "$want_pnpm" ]; then
  echo "setup: installing pnpm@$want_pnpm through npm (corepack fails signature checks here)"
  npm install -g "pnpm@$want_pnpm" >/dev/null
fi

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the browser tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing and cannot be installed here (need root and apt-get); browser tests will fail" >&2
  fi
fi

# The Redis tests (@mapp-s2s/redis, fleet mode) start their own redis-server: Debian's package.
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's redis-server for the fleet-mode tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "setup: redis-server is missing and cannot be installed here (need root and apt-get); the @mapp-s2s/redis tests will fail" >&2
  fi
fi

# better-sqlite3 is built from source: point node-gyp at the machine's Node headers
# instead of downloading them (there is no network beyond the registries).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

pnpm install --frozen-lockfile
pnpm build

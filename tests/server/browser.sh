#!/usr/bin/env bash
# The dashboard in a real browser: tests/browser/dashboard.mjs drives Debian's
# Chromium (headless) with Playwright against a jotd of its own on 127.0.0.1
# with a 5 s access TTL, so that silent refreshes happen during the test.
# Screenshots go to BUILD/browser-artifacts/ (BUILD: the directory of the
# jotd under test's server/).
set -uo pipefail

: "${JOTD:?JOTD must name the jotd binary}"
here=$(cd "$(dirname "$0")" && pwd)
suite=$(cd "$here/../browser" && pwd)
PY=/usr/bin/python3
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
TTL=5

fail_setup() {
    echo "FAIL - $1"
    echo "0 passed, 1 failed"
    exit 1
}

[ -x "$CHROMIUM" ] || fail_setup "no Chromium at $CHROMIUM (make deps installs Debian's chromium)"
command -v node >/dev/null || fail_setup "no node (make deps installs Node.js and npm)"
# make deps runs npm ci; a tree without node_modules gets it here.
if [ ! -d "$suite/node_modules/playwright-core" ]; then
    command -v npm >/dev/null || fail_setup "no npm to install playwright-core"
    (cd "$suite" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || fail_setup "npm ci in tests/browser"
fi

build=$(cd "$(dirname "$JOTD")/.." && pwd)
artifacts=${ARTIFACTS:-$build/browser-artifacts${JOTD_TEST_PG_URL:+-pg}}
rm -rf "$artifacts"
mkdir -p "$artifacts"

dir=$(mktemp -d)
pid=
# The store: an SQLite file, or a fresh database on the PostgreSQL cluster
# of JOTD_TEST_PG_URL (the server-pg/ registration of this suite).
store="$dir/jotd.db"
if [ -n "${JOTD_TEST_PG_URL:-}" ]; then
    store=$($PY "$here/jotdtest.py" pg-create) || fail_setup "a PostgreSQL database for the test"
    export JOTD_MASTER_KEY_FILE="$dir/jotd.master.key"
fi
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"
      [ -n "${JOTD_TEST_PG_URL:-}" ] && $PY "$here/jotdtest.py" pg-drop "$store"' EXIT

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
B="http://127.0.0.1:$port"
(cd "$dir" && exec timeout 600 "$JOTD" serve --listen "127.0.0.1:$port" --store "$store" \
    --access-ttl "${TTL}s" --argon2-memory 1024 2>"$artifacts/jotd.log") &
pid=$!
for _ in $(seq 1 200); do
    curl -s -m 2 -o /dev/null "$B/healthz" && break
    sleep 0.05
done
[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$B/healthz")" = 200 ] || fail_setup "jotd did not start (see $artifacts/jotd.log)"

JOTD_URL=$B ACCESS_TTL=$TTL ARTIFACTS=$artifacts CHROMIUM=$CHROMIUM timeout 400 node "$suite/dashboard.mjs"
rc=$?
[ $rc = 124 ] && echo "FAIL - the browser suite ran out of time"

kill -TERM "$pid"
wait "$pid"
jrc=$?
pid=
if [ $jrc != 0 ]; then
    echo "FAIL - jotd exited $jrc after SIGTERM"
    rc=1
fi
echo "screenshots: $artifacts"
exit $rc

#!/usr/bin/env bash
# The seed flow, with curl as a client would run it: signup -> login ->
# /verify -> the access token expires (access-ttl 2s) -> refresh -> the new
# access token works -> an old refresh token replayed -> the family is
# revoked: its newest refresh token and access token are refused -> a new
# login works. Then the same through the cookie, and a clean SIGTERM.
set -uo pipefail

: "${JOTD:?JOTD must name the jotd binary}"
PY=/usr/bin/python3
dir=$(mktemp -d)
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
B="http://127.0.0.1:$port"
pass=0
fail=0
pid=

# The store: an SQLite file, or a fresh database on the PostgreSQL cluster
# of JOTD_TEST_PG_URL (the server-pg/ registration of this suite).
store="$dir/jotd.db"
if [ -n "${JOTD_TEST_PG_URL:-}" ]; then
    store=$($PY "$(dirname "$0")/jotdtest.py" pg-create) || exit 1
    export JOTD_MASTER_KEY_FILE="$dir/jotd.master.key"
fi

cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$dir"
    [ -n "${JOTD_TEST_PG_URL:-}" ] && $PY "$(dirname "$0")/jotdtest.py" pg-drop "$store"
}
trap cleanup EXIT

check() { # check WHAT GOT WANT
    if [ "$2" = "$3" ]; then
        pass=$((pass + 1)); echo "ok - $1"
    else
        fail=$((fail + 1)); echo "FAIL - $1 (got '$2', want '$3')"
    fi
}

field() { # field NAME < json
    $PY -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"
}

# curl with a bound on time; prints the body, then the status on a last line.
req() {
    curl -s -m 30 -w '\n%{http_code}' "$@"
}
status() { tail -n1; }
body() { sed '$d'; }

(cd "$dir" && exec timeout 300 "$JOTD" serve --listen "127.0.0.1:$port" --store "$store" \
    --access-ttl 2s --argon2-memory 4096 --argon2-iterations 1 2>"$dir/log") &
pid=$!
for _ in $(seq 1 200); do
    curl -s -m 2 -o /dev/null "$B/healthz" && break
    sleep 0.05
done

PW='a long enough password'
out=$(req -X POST "$B/signup" -H 'Content-Type: application/json' -d "{\"username\":\"seed\",\"password\":\"$PW\"}")
check "signup" "$(status <<<"$out")" 201

out=$(req -X POST "$B/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"seed\",\"password\":\"$PW\",\"refresh_in_body\":true}")
check "login" "$(status <<<"$out")" 200
AT1=$(body <<<"$out" | field access_token)
RT1=$(body <<<"$out" | field refresh_token)

check "verify the access token" "$(req -o /dev/null -H "Authorization: Bearer $AT1" "$B/verify" | status)" 200
sleep 3
check "the access token has expired" "$(req -o /dev/null -H "Authorization: Bearer $AT1" "$B/verify" | status)" 401

out=$(req -X POST "$B/token" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT1")
check "refresh" "$(status <<<"$out")" 200
AT2=$(body <<<"$out" | field access_token)
RT2=$(body <<<"$out" | field refresh_token)
check "the new access token works" "$(req -o /dev/null -H "Authorization: Bearer $AT2" "$B/verify" | status)" 200

out=$(req -X POST "$B/token" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT2")
check "refresh again" "$(status <<<"$out")" 200
AT3=$(body <<<"$out" | field access_token)
RT3=$(body <<<"$out" | field refresh_token)

# RT1 is two generations old: no grace applies, it is reuse.
out=$(req -X POST "$B/token" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT1")
check "the old refresh token replayed is 401" "$(status <<<"$out")" 401
check "... invalid_grant" "$(body <<<"$out" | field error)" invalid_grant
out=$(req -X POST "$B/token" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT3")
check "the newest refresh token of the family is refused too" "$(status <<<"$out")" 401
check "the family's live access token is refused" \
    "$(req -o /dev/null -H "Authorization: Bearer $AT3" "$B/verify" | status)" 401

out=$(req -X POST "$B/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"seed\",\"password\":\"$PW\",\"refresh_in_body\":true}")
check "login again works" "$(status <<<"$out")" 200
AT4=$(body <<<"$out" | field access_token)
check "... and its access token verifies" "$(req -o /dev/null -H "Authorization: Bearer $AT4" "$B/verify" | status)" 200

# The browser way: the refresh token in the cookie, refreshed with
# X-Requested-With, replay of the first cookie revokes.
hdrs="$dir/h"
out=$(req -D "$hdrs" -X POST "$B/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"seed\",\"password\":\"$PW\"}")
check "cookie login" "$(status <<<"$out")" 200
C1=$(grep -i '^set-cookie: jot_refresh=' "$hdrs" | sed 's/^[^=]*=\([^;]*\);.*/\1/')
check "the cookie is set" "$([ -n "$C1" ] && echo yes)" yes
out=$(req -D "$hdrs" -X POST "$B/token" -H "Cookie: jot_refresh=$C1" -H 'X-Requested-With: curl')
check "cookie refresh" "$(status <<<"$out")" 200
C2=$(grep -i '^set-cookie: jot_refresh=' "$hdrs" | sed 's/^[^=]*=\([^;]*\);.*/\1/')
out=$(req -D "$hdrs" -X POST "$B/token" -H "Cookie: jot_refresh=$C2" -H 'X-Requested-With: curl')
check "cookie refresh again" "$(status <<<"$out")" 200
out=$(req -D "$hdrs" -X POST "$B/token" -H "Cookie: jot_refresh=$C1" -H 'X-Requested-With: curl')
check "cookie replay is 401" "$(status <<<"$out")" 401
check "cookie replay clears the cookie" "$(grep -ci '^set-cookie: jot_refresh=;.*max-age=0' "$hdrs")" 1

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: exit 0" "$rc" 0
check "the log has one line per request and no token" "$(grep -c 'eyJ' "$dir/log")" 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

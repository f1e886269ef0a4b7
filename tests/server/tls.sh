#!/usr/bin/env bash
# HTTPS with tls-cert and tls-key (libmicrohttpd + GnuTLS): a self-signed
# certificate for 127.0.0.1, the issuer becomes https://, a login and a
# /verify over TLS, and plain HTTP on the TLS port gets nothing useful.
set -uo pipefail

: "${JOTD:?JOTD must name the jotd binary}"
PY=/usr/bin/python3
dir=$(mktemp -d)
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
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"
      [ -n "${JOTD_TEST_PG_URL:-}" ] && $PY "$(dirname "$0")/jotdtest.py" pg-drop "$store"' EXIT

check() {
    if [ "$2" = "$3" ]; then
        pass=$((pass + 1)); echo "ok - $1"
    else
        fail=$((fail + 1)); echo "FAIL - $1 (got '$2', want '$3')"
    fi
}

if ! command -v openssl >/dev/null; then
    echo "openssl is needed to make a test certificate"
    exit 1
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" \
    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
check "test certificate" "$([ -s "$dir/cert.pem" ] && echo yes)" yes

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
B="https://127.0.0.1:$port"
(cd "$dir" && exec timeout 120 "$JOTD" serve --listen "127.0.0.1:$port" --store "$store" \
    --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem" --argon2-memory 1024 2>"$dir/log") &
pid=$!
for _ in $(seq 1 200); do
    curl -s -m 2 --cacert "$dir/cert.pem" -o /dev/null "$B/healthz" && break
    sleep 0.05
done
check "healthz over TLS" "$(curl -s -m 10 --cacert "$dir/cert.pem" -o /dev/null -w '%{http_code}' "$B/healthz")" 200
check "signup over TLS" "$(curl -s -m 30 --cacert "$dir/cert.pem" -o /dev/null -w '%{http_code}' -X POST "$B/signup" \
    -H 'Content-Type: application/json' -d '{"username":"tls","password":"violet anchor 73 drift"}')" 201
at=$(curl -s -m 30 --cacert "$dir/cert.pem" -X POST "$B/login" -H 'Content-Type: application/json' \
    -d '{"username":"tls","password":"violet anchor 73 drift"}' |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
iss=$(echo "$at" | cut -d. -f2 | $PY -c 'import base64,json,sys; s=sys.stdin.read().strip(); print(json.loads(base64.urlsafe_b64decode(s+"="*(-len(s)%4)))["iss"])')
check "the issuer is https://" "$iss" "$B"
check "verify over TLS" "$(curl -s -m 10 --cacert "$dir/cert.pem" -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $at" "$B/verify")" 200
check "plain HTTP on the TLS port gets no HTTP answer" \
    "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" 000
kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exit 0" "$?" 0
pid=
check "a missing certificate file is an error" \
    "$(timeout 30 "$JOTD" serve --listen "127.0.0.1:$port" --store "$store" --tls-cert "$dir/none.pem" \
        --tls-key "$dir/key.pem" >/dev/null 2>&1; echo $?)" 1

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

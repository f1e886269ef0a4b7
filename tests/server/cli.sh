#!/usr/bin/env bash
# The jotd command line: help, usage errors (exit 2), user add, keys,
# migrate, and the precedence of settings: option > environment > config
# file > default.
set -uo pipefail

: "${JOTD:?JOTD must name the jotd binary}"
PY=/usr/bin/python3
dir=$(mktemp -d)
pass=0
fail=0
pid=
# The server-pg/ registration names a PostgreSQL cluster: the store is then
# a fresh database on it (the JOTD_ variables are cleared below).
pg_url=${JOTD_TEST_PG_URL:-}
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"
      [ -n "$pg_url" ] && JOTD_TEST_PG_URL=$pg_url $PY "$(dirname "$0")/jotdtest.py" pg-drop "$st"' EXIT
for v in $(env | grep -o '^JOTD_[A-Z_]*' | grep -v '^JOTD_MASTER_KEY$'); do unset "$v"; done

check() { # check WHAT GOT WANT
    if [ "$2" = "$3" ]; then
        pass=$((pass + 1)); echo "ok - $1"
    else
        fail=$((fail + 1)); echo "FAIL - $1 (got '$2', want '$3')"
    fi
}
rc() { "$@" >"$dir/out" 2>"$dir/err" </dev/null; echo $?; }
J() { timeout 60 "$JOTD" "$@"; }

check "jotd --help exits 0" "$(rc J --help)" 0
for s in listen store master-key-file issuer audience alg access-ttl refresh-ttl session-max refresh-grace \
         tls-cert tls-key; do
    check "--help lists $s" "$(grep -c -- "--$s " "$dir/out")" 1
    check "--help names JOTD_$(echo "$s" | tr a-z- A-Z_)" \
        "$(grep -c "JOTD_$(echo "$s" | tr a-z- A-Z_)," "$dir/out")" 1
done
for c in serve user keys migrate; do
    check "jotd $c --help exits 0" "$(rc J $c --help)" 0
    check "jotd $c --help lists the settings" "$(grep -c -- '--access-ttl' "$dir/out")" 1
done
check "jotd --version" "$(rc J --version)" 0

check "no command: exit 2" "$(rc J)" 2
check "unknown command: exit 2" "$(rc J frobnicate)" 2
check "unknown option: exit 2" "$(rc J serve --no-such-thing 1)" 2
check "... with a jotd: message" "$(grep -c '^jotd: unknown option --no-such-thing' "$dir/err")" 1
check "bad duration: exit 2" "$(rc J serve --access-ttl 5x)" 2
check "... names the setting" "$(grep -c 'access-ttl' "$dir/err")" 1
check "alg none: exit 2" "$(rc J serve --alg none)" 2
check "bad listen: exit 2" "$(rc J serve --listen nowhere)" 2
check "tls-cert without tls-key: exit 2" "$(rc J serve --tls-cert x.pem)" 2
check "option without value: exit 2" "$(rc J serve --store)" 2
check "user without add: exit 2" "$(rc J user)" 2
check "user add without a name: exit 2" "$(rc J user add)" 2
check "keys frob: exit 2" "$(rc J keys frob)" 2
check "--now outside keys rotate: exit 2" "$(rc J serve --now)" 2
check "bad environment value: exit 2" "$(JOTD_REFRESH_GRACE=forever rc J migrate --store "$dir/x.db")" 2
check "a missing config file: exit 2" "$(rc J migrate --config "$dir/nope.conf")" 2
printf 'bogus-setting = 1\n' >"$dir/bad.conf"
check "an unknown setting in the config file: exit 2" "$(rc J migrate --config "$dir/bad.conf")" 2
check "... with its line" "$(grep -c 'bad.conf:1' "$dir/err")" 1

st="$dir/store.db"
if [ -n "$pg_url" ]; then
    st=$(JOTD_TEST_PG_URL=$pg_url $PY "$(dirname "$0")/jotdtest.py" pg-create) || exit 1
    export JOTD_MASTER_KEY_FILE="$dir/jotd.master.key"
fi
check "migrate creates the store" "$(rc J migrate --store "$st")" 0
check "... schema version is the latest" "$(grep -c 'schema version \([0-9]*\) (latest \1)' "$dir/out")" 1
if [ -z "$pg_url" ]; then
    check "... mode 0600" "$(stat -c %a "$st")" 600
else
    echo "# skipped on postgresql: the store file's mode (the database server owns its files)"
fi
check "migrate again is a no-op" "$(rc J migrate --store "$st")" 0

add() { printf '%s\n' "$2" | timeout 60 "$JOTD" user add "$1" --store "$st" --argon2-memory 1024 "${@:3}" \
    >"$dir/out" 2>"$dir/err"; echo $?; }
check "user add" "$(add bob 'violet anchor 73 drift' --role editor)" 0
check "... prints the role" "$(grep -c 'role editor' "$dir/out")" 1
check "user add: the name taken" "$(add BOB 'violet anchor 73 drift')" 1
check "user add: a bad name" "$(add 'bad name' 'violet anchor 73 drift')" 1
check "user add: a short password" "$(add carol 'short')" 1
check "user add: a guessable password" "$(add carol '12345678abc')" 1
check "... says why" "$(grep -c 'too easy to guess' "$dir/err")" 1
check "user add: a bad role" "$(add carol 'violet anchor 73 drift' --role 'ad min')" 1
check "user add: the password is not echoed" "$(grep -c 'anchor 73' "$dir/out" "$dir/err" | grep -vc ':0')" 0

check "keys list on a store without keys" "$(rc J keys list --store "$st")" 0
check "keys rotate creates the first key (and the master key)" "$(rc J keys rotate --store "$st")" 0
check "... master key mode 0600" "$(stat -c %a "$dir/jotd.master.key")" 600
check "keys rotate again" "$(rc J keys rotate --store "$st")" 0
check "keys list" "$(rc J keys list --store "$st")" 0
check "... one current and one next" "$(grep -c ' current \| next ' "$dir/out")" 2

# Precedence: the access token lifetime as the server reports it.
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '# test config\naccess-ttl = 1h\nstore = %s\nlisten = 127.0.0.1:%s\nargon2-memory = 1024\n' "$st" "$port" \
    >"$dir/jotd.conf"
expires_in() {
    (cd "$dir" && exec timeout 60 "$JOTD" serve "$@" 2>>"$dir/serve.log") &
    pid=$!
    for _ in $(seq 1 200); do curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.05; done
    curl -s -m 30 -X POST "http://127.0.0.1:$port/login" -H 'Content-Type: application/json' \
        -d '{"username":"bob","password":"violet anchor 73 drift"}' |
        $PY -c 'import json,sys; print(json.load(sys.stdin).get("expires_in"))'
    kill -TERM "$pid"; wait "$pid"; pid=
}
check "config file" "$(expires_in --config "$dir/jotd.conf")" 3600
check "JOTD_CONFIG names the file" "$(JOTD_CONFIG="$dir/jotd.conf" expires_in)" 3600
check "environment beats the file" "$(JOTD_ACCESS_TTL=30m expires_in --config "$dir/jotd.conf")" 1800
check "option beats the environment" "$(JOTD_ACCESS_TTL=30m expires_in --config "$dir/jotd.conf" --access-ttl=15m)" 900
check "plain seconds" "$(expires_in --config "$dir/jotd.conf" --access-ttl 45)" 45

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

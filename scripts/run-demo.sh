#!/usr/bin/env bash
# scripts/run-demo.sh BUILD_DIR - what `make run` does after building:
# start jotd on 127.0.0.1:8080 with its store (jotd.db) and master key
# (jotd.master.key) in the current folder, create a user "demo" when there
# is none (its password is printed once), print the curl lines that walk
# through signup, login, /verify, refresh and logout, and keep jotd in the
# foreground until Ctrl-C.
set -euo pipefail

build=${1:-build}
jotd="$build/server/jotd"
listen=${JOTD_DEMO_LISTEN:-127.0.0.1:8080}
base="http://$listen"

if [ ! -x "$jotd" ]; then
    echo "run-demo: $jotd is not built (run: make build)" >&2
    exit 1
fi
if ! command -v curl >/dev/null; then
    echo "run-demo: curl is needed for the walk-through (apt-get install curl)" >&2
    exit 1
fi
if curl -s -m 2 -o /dev/null "$base/healthz"; then
    echo "run-demo: something already answers on $listen; stop it first" >&2
    exit 1
fi

# The demo user, created before jotd starts (the store is created with it).
password=$(head -c 12 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
if out=$(printf '%s\n' "$password" | "$jotd" user add demo --store jotd.db 2>&1); then
    demo_line="user demo, password $password (shown this once)"
elif grep -q 'exists already' <<<"$out"; then
    demo_line="user demo exists already (its password was printed when it was made;
          rm jotd.db* jotd.master.key to start from scratch)"
    password='THE-DEMO-PASSWORD'
else
    echo "run-demo: $out" >&2
    exit 1
fi

"$jotd" serve --listen "$listen" --store jotd.db &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
for _ in $(seq 1 100); do
    curl -s -m 2 -o /dev/null "$base/healthz" && break
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "run-demo: jotd did not start (see above)" >&2
        exit 1
    fi
    sleep 0.1
done

cat <<EOF

jotd is running on $base (store: $PWD/jotd.db), one JSON log line per request below.
Demo: $demo_line

In a browser: open $base/ for the dashboard (sign up, log in, API tokens,
sessions, log out).

Or walk through it with curl in another terminal (each line is one step):

  # 1. Sign up a user of your own (or skip this and use demo):
  curl -i -X POST $base/signup -H 'Content-Type: application/json' \\
       -d '{"username":"me","password":"a long passphrase"}'

  # 2. Log in: the access token comes in the body, the refresh token in an
  #    HttpOnly cookie that curl keeps in jot.cookies.
  TOKEN=\$(curl -s -c jot.cookies -X POST $base/login -H 'Content-Type: application/json' \\
       -d '{"username":"demo","password":"$password"}' | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')

  # 3. What a reverse proxy asks: 200 with X-Jot-Sub, X-Jot-Name, X-Jot-Role.
  curl -i $base/verify -H "Authorization: Bearer \$TOKEN"

  # 4. Refresh: the cookie is spent and replaced (rotation); the header
  #    X-Requested-With is the CSRF guard for cookie refreshes.
  TOKEN=\$(curl -s -b jot.cookies -c jot.cookies -X POST $base/token -H 'X-Requested-With: curl' \\
       | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')

  # 5. The public keys, for APIs that verify tokens themselves:
  curl -s $base/.well-known/jwks.json

  # 6. Log out: the session is revoked and the cookie cleared (204) ...
  curl -i -b jot.cookies -c jot.cookies -X POST $base/logout -H "Authorization: Bearer \$TOKEN"

  # 7. ... so the access token is refused at once (401), not in ten minutes:
  curl -i $base/verify -H "Authorization: Bearer \$TOKEN"

  # 8. An API token for a script, from a fresh login (shown once; a JWT):
  TOKEN=\$(curl -s -X POST $base/login -H 'Content-Type: application/json' \\
       -d '{"username":"demo","password":"$password","refresh_in_body":true}' \\
       | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -s -X POST $base/api-tokens -H "Authorization: Bearer \$TOKEN" \\
       -H 'Content-Type: application/json' -d '{"name":"my script","expires_in":"30d"}'

Ctrl-C stops jotd (it finishes the requests in flight and exits 0).
Manual: docs/jotd.md.

EOF

# Wait for jotd; a trapped Ctrl-C interrupts wait, so wait until it is gone.
rc=0
wait "$pid" || rc=$?
while kill -0 "$pid" 2>/dev/null; do
    wait "$pid" || rc=$?
done
exit "$rc"

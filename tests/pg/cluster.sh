#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests of jotd's PostgreSQL store.
#
#   cluster.sh start STATE    initdb + start; prints the connection URL
#   cluster.sh stop STATE     stop the server and delete the cluster
#   cluster.sh pause STATE    stop the server only (the outage test)
#   cluster.sh resume STATE   start it again on the same port
#
# STATE is a folder of the caller's that records the cluster: url (the
# connection URL), datadir, port, bindir. The cluster itself lives in a
# fresh folder under /tmp (its unix socket too), owned by the user that runs
# the server: the caller, or, when the caller is root (PostgreSQL refuses to
# run as root), the system user jot-pg, created when missing. The server
# listens on 127.0.0.1 only, on a free port; its superuser is `jot` with a
# random password (scram-sha-256). fsync is off: nothing here is worth
# keeping. Every wait is bounded.
set -euo pipefail

PG_USER=jot-pg

usage() {
    echo "usage: cluster.sh start|stop|pause|resume STATE" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
state=$(realpath -m "$2")
# The owner may not be allowed into the caller's folder.
cd /

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    if [ -z "$d" ] && command -v pg_ctl >/dev/null; then
        d=$(dirname "$(command -v pg_ctl)")
    fi
    if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
        echo "cluster.sh: no PostgreSQL server binaries (Debian: apt-get install postgresql)" >&2
        exit 1
    fi
    echo "$d"
}

# Run a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

server_start() { # server_start BINDIR DATADIR PORT
    as_owner "$1/pg_ctl" -D "$2" -l "$2/server.log" -w -t 30 -s \
        -o "-c listen_addresses=127.0.0.1 -p $3 -c unix_socket_directories=$2" start
}

server_stop() { # server_stop BINDIR DATADIR
    as_owner "$1/pg_ctl" -D "$2" -m fast -w -t 30 -s stop || as_owner "$1/pg_ctl" -D "$2" -m immediate -w -t 30 -s stop
}

start() {
    mkdir -p "$state"
    if [ -f "$state/datadir" ] && [ -d "$(cat "$state/datadir")" ]; then
        echo "cluster.sh: $state already records a cluster; stop it first" >&2
        exit 1
    fi
    local bin data pw
    bin=$(bindir)
    if [ "$(id -u)" -eq 0 ] && ! id -u "$PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
    fi
    data=$(mktemp -d /tmp/jot-pg.XXXXXXXX)
    chmod 700 "$data"
    [ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$data"
    pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    # The password file goes away once initdb has read it.
    (umask 077 && printf '%s\n' "$pw" >"$data/pw")
    [ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$data/pw"
    as_owner "$bin/initdb" -D "$data/db" -U jot --pwfile="$data/pw" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        --no-instructions >"$data/initdb.log" 2>&1 || {
        cat "$data/initdb.log" >&2
        rm -rf "$data"
        exit 1
    }
    rm -f "$data/pw"
    cat >>"$data/db/postgresql.conf" <<EOF
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
EOF
    # Only 127.0.0.1 with a password; no other host, no local trust.
    cat >"$data/db/pg_hba.conf" <<EOF
local all jot scram-sha-256
host all jot 127.0.0.1/32 scram-sha-256
EOF
    local port started=0
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if server_start "$bin" "$data/db" "$port"; then
            started=1
            break
        fi
    done
    if [ "$started" -ne 1 ]; then
        echo "cluster.sh: the server did not start; its log:" >&2
        tail -n 30 "$data/db/server.log" >&2 || true
        rm -rf "$data"
        exit 1
    fi
    (umask 077 && printf 'postgresql://jot:%s@127.0.0.1:%s/postgres\n' "$pw" "$port" >"$state/url")
    echo "$data/db" >"$state/datadir"
    echo "$port" >"$state/port"
    echo "$bin" >"$state/bindir"
    cat "$state/url"
}

recorded() {
    if [ ! -f "$state/datadir" ]; then
        echo "cluster.sh: $state records no cluster" >&2
        exit 1
    fi
    data=$(cat "$state/datadir")
    bin=$(cat "$state/bindir")
}

case "$cmd" in
start) start ;;
stop)
    recorded
    if [ -d "$data" ]; then
        server_stop "$bin" "$data" || true
        rm -rf "$(dirname "$data")"
    fi
    rm -f "$state/url" "$state/datadir" "$state/port" "$state/bindir"
    ;;
pause)
    recorded
    server_stop "$bin" "$data"
    ;;
resume)
    recorded
    server_start "$bin" "$data" "$(cat "$state/port")"
    ;;
*) usage ;;
esac

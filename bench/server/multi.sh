#!/usr/bin/env bash
# bench/server/multi.sh BUILD_DIR - refresh throughput with one and two jotd
# instances on PostgreSQL beside one on SQLite, measured in one run (issue 6).
#
# Rows, each on a fresh store:
#   sqlite, 1 jotd          refresh-load -> jotd
#   postgresql, 1 jotd      refresh-load -> jotd
#   postgresql, 1 jotd + nginx   refresh-load -> nginx -> jotd (nginx's cost)
#   postgresql, 2 jotd + nginx   refresh-load -> nginx -> jotd A | jotd B
# nginx runs deploy/nginx/jotd.conf unchanged (deploy/nginx/local.sh writes
# its site files). PostgreSQL is a throwaway cluster (tests/pg/cluster.sh:
# 127.0.0.1, fsync off, synchronous_commit off: the figures measure jotd and
# the database's CPU, not a disk; SQLite runs as jotd configures it, WAL with
# synchronous = NORMAL, no fsync per commit either). Two instances on one
# database share the master key and the issuer, as in a deployment.
#
# The load: refresh-load (bench/server/refresh_load.c), CHAINS chains (32), each
# logged in once and then exchanging its newest refresh token at POST /token
# again and again; ROUNDS windows of SECONDS (3 x 3 s) after a 0.5 s warm-up;
# a row gives the median window (req/s, p50, p99) and the range of req/s.
# jotd runs with default settings besides the store (threads = one per core).
# Every process shares the machine's cores: on 2 cores, two jotd, nginx,
# PostgreSQL and the load generator all compete, so the rows compare
# configurations on this machine, not a scale-out.
#
# Prints the table; asserts nothing (exit 0 unless a tool is missing or a
# row could not be set up). Takes about 2 minutes.
#
# Environment: BMULTI_SECONDS (3), BMULTI_ROUNDS (3), BMULTI_CHAINS (32),
# BMULTI_THREADS (jotd's --threads; unset: its default).
set -u
set -o pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
SECS=${BMULTI_SECONDS:-3}
ROUNDS=${BMULTI_ROUNDS:-3}
CHAINS=${BMULTI_CHAINS:-32}
NUSERS=8
PASSWORD="bench-multi-password-42"
START=$(date +%s)

say() { printf '%s\n' "$*"; }
die() { printf 'bench/server/multi.sh: %s\n' "$*" >&2; exit 1; }

command -v curl >/dev/null 2>&1 || die "curl is needed"
command -v psql >/dev/null 2>&1 || die "psql is needed (Debian package postgresql-client)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is needed (Debian package nginx)"

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null || die "cmake failed"
fi
cmake --build "$BUILD" --target jotd refresh-load -j 2 >/dev/null 2>&1 || die "the build failed (cmake --build $BUILD)"
JOTD=$BUILD/server/jotd
LOAD=$BUILD/bench/server/refresh-load
for f in "$JOTD" "$LOAD"; do [ -x "$f" ] || die "$f was not built"; done
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jotd-multi.XXXXXX")
PIDS=()
PG_STARTED=0
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  stop_all
  if [ "$PG_STARTED" = 1 ]; then
    bash "$SRC/tests/pg/cluster.sh" stop "$TMP/pg" >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
}
stop_all() {
  local p
  JOTD_PIDS=()
  NGINX_PID=""
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_up() { # PORT PID
  for _ in $(seq 300); do
    curl -sf -o /dev/null -m 1 "http://127.0.0.1:$1/healthz" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Default settings: the caller's JOTD_* variables are dropped.
unset_env=()
for v in $(compgen -e); do
  case $v in JOTD_*) unset_env+=(-u "$v") ;; esac
done
MASTER=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
ISSUER=http://jot-bench.test

start_jotd() { # NAME STORE -> sets JPORT, appends to PIDS
  local name=$1 store=$2
  JPORT=$(free_port)
  env "${unset_env[@]}" JOTD_MASTER_KEY="$MASTER" "$JOTD" serve --listen "127.0.0.1:$JPORT" --store "$store" \
    --issuer "$ISSUER" --log-requests off --argon2-memory 1024 --argon2-iterations 1 \
    ${BMULTI_THREADS:+--threads "$BMULTI_THREADS"} 2>"$TMP/$name.log" &
  PIDS+=($!)
  JOTD_PIDS+=($!)
  wait_up "$JPORT" $! || { tail -n 20 "$TMP/$name.log" >&2; die "jotd $name did not start"; }
}

start_nginx() { # NAME UPSTREAM... -> sets NPORT
  local name=$1
  shift
  NPORT=$(free_port)
  mkdir -p "$TMP/$name"
  sh "$SRC/deploy/nginx/local.sh" "$TMP/$name" "$NPORT" "$@" >/dev/null || die "deploy/nginx/local.sh failed"
  # The bench's access log would cost a write per request: off, in the
  # main file (jotd.conf itself sets no log).
  # Clients' keep-alive connections are closed after keepalive_requests
  # (1000 by default), which refresh-load would count as errors.
  sed -i 's|^    access_log .*|    access_log off;\n    keepalive_requests 1000000;|' "$TMP/$name/nginx.conf"
  "$NGINX" -e stderr -p "$TMP/$name/" -c "$TMP/$name/nginx.conf" -g 'daemon off;' 2>"$TMP/$name/error.log" &
  PIDS+=($!)
  NGINX_PID=$!
  wait_up "$NPORT" $! || { cat "$TMP/$name/error.log" >&2; die "nginx $name did not start"; }
}

new_db() { # NAME -> URL of a fresh database on the cluster
  psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" -c "CREATE DATABASE $1" >/dev/null || die "CREATE DATABASE $1 failed"
  /usr/bin/python3 -c 'import sys, urllib.parse as u; s = u.urlsplit(sys.argv[1]); print(u.urlunsplit((s.scheme, s.netloc, "/" + sys.argv[2], s.query, s.fragment)))' "$PG_URL" "$1"
}

users() { # PORT: bench1..benchN
  local i code
  for i in $(seq "$NUSERS"); do
    code=$(curl -s -o "$TMP/out" -w '%{http_code}' -m 30 -H 'Content-Type: application/json' \
      -d "{\"username\":\"bench$i\",\"password\":\"$PASSWORD\"}" "http://127.0.0.1:$1/signup")
    [ "$code" = 201 ] || { cat "$TMP/out" >&2; die "POST /signup bench$i answered $code"; }
  done
}

kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1; }

# CPU time (clock ticks) of processes and their children: jotd instances,
# nginx (master and worker), PostgreSQL (the postmaster and its backends).
ticks() {
  local p sum=0 t
  for p in "$@"; do
    [ -n "$p" ] || continue
    for c in $p $(ps -o pid= --ppid "$p" 2>/dev/null); do
      t=$(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null) && sum=$((sum + t))
    done
  done
  echo "$sum"
}
HZ=$(getconf CLK_TCK)
JOTD_PIDS=()
NGINX_PID=""
PG_PID=""
cpu_snapshot() { echo "$(ticks "${JOTD_PIDS[@]}") $(ticks "$PG_PID") $(ticks "$NGINX_PID") $(date +%s.%N)"; }

ROWS=()
measure() { # LABEL PORT
  local label=$1 port=$2 out=$TMP/load.out
  say "== $label"
  local before after
  before=$(cpu_snapshot)
  "$LOAD" -m refresh -p "$port" -c "$CHAINS" -d "$SECS" -r "$ROUNDS" -w 0.5 -u "$NUSERS" -U bench -P "$PASSWORD" \
    >"$out" 2>"$TMP/load.err" || { sed 's/^/    /' "$TMP/load.err"; ROWS+=("$label|FAIL|-|-|-|-|-|-|-"); return; }
  after=$(cpu_snapshot)
  # CPU over the run (logins, warm-ups and windows), in % of one core.
  read -r cj cp cn <<<"$(awk -v b="$before" -v a="$after" -v hz="$HZ" 'BEGIN { split(b, x, " "); split(a, y, " ")
    w = y[4] - x[4]; for (i = 1; i <= 3; i++) printf "%.0f ", (y[i] - x[i]) / hz / w * 100 }')"
  : >"$TMP/rounds"
  while read -r line; do
    say "  $line"
    echo "$line" >"$TMP/kv"
    echo "$(kv "$TMP/kv" rate) $(kv "$TMP/kv" p50_ms) $(kv "$TMP/kv" p99_ms) $(kv "$TMP/kv" errors)" >>"$TMP/rounds"
  done <"$out"
  # The median window by req/s, and the range.
  read -r rps p50 p99 errs lo hi <<<"$(sort -n "$TMP/rounds" | awk '{ r[NR] = $0; v[NR] = $1; e += $4 }
    END { m = int((NR + 1) / 2); split(r[m], f, " "); printf "%s %s %s %d %s %s\n", f[1], f[2], f[3], e, v[1], v[NR] }')"
  ROWS+=("$label|$rps|$lo-$hi|$p50|$p99|$errs|$cj%|$cp%|$cn%")
}

say "jotd $BUILD_TYPE at $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "refresh-load: $CHAINS chains, $ROUNDS windows of $SECS s each, 0.5 s warm-up"

# ---- SQLite, 1 jotd
start_jotd sqlite "$TMP/jotd.db"
users "$JPORT"
measure "sqlite, 1 jotd" "$JPORT"
stop_all

# ---- PostgreSQL
PG_URL=$(bash "$SRC/tests/pg/cluster.sh" start "$TMP/pg") || die "tests/pg/cluster.sh start failed"
PG_STARTED=1
PG_PID=$(head -n 1 "$(cat "$TMP/pg/datadir")/postmaster.pid")

DB=$(new_db jot_bench_one)
start_jotd pg1 "$DB"
users "$JPORT"
measure "postgresql, 1 jotd" "$JPORT"
A=$JPORT
start_nginx nginx1 "127.0.0.1:$A"
measure "postgresql, 1 jotd + nginx" "$NPORT"
stop_all

DB=$(new_db jot_bench_two)
start_jotd pgA "$DB"
A=$JPORT
start_jotd pgB "$DB"
B=$JPORT
start_nginx nginx2 "127.0.0.1:$A" "127.0.0.1:$B"
users "$NPORT"
measure "postgresql, 2 jotd + nginx" "$NPORT"
stop_all

say ""
say "== refresh throughput (POST /token), $CHAINS chains; median window of $ROUNDS x $SECS s"
say "(CPU: share of one core over the row's run, 200% = both cores; the load generator is not counted)"
printf '%-28s %8s %15s %7s %7s %6s %6s %6s %6s\n' configuration "req/s" "(range)" "p50 ms" "p99 ms" errors jotd pg nginx
for r in "${ROWS[@]}"; do
  IFS='|' read -r label rps rng p50 p99 errs cj cp cn <<<"$r"
  [ "$cp" = 0% ] && cp=-
  [ "$cn" = 0% ] && cn=-
  printf '%-28s %8s %15s %7s %7s %6s %6s %6s %6s\n' "$label" "$rps" "$rng" "$p50" "$p99" "$errs" "$cj" "$cp" "$cn"
done
say "(load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); total $(( $(date +%s) - START )) s)"
exit 0

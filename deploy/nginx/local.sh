#!/bin/sh
# deploy/nginx/local.sh DIR PORT JOTD_ADDR... - an nginx prefix folder that
# runs deploy/nginx/jotd.conf unchanged as an unprivileged user, for tests,
# benchmarks and a look on one's own machine.
#
# Writes DIR/nginx.conf (the main file: pid, logs and temporary files inside
# DIR, one worker, `include` of this folder's jotd.conf) and the two site
# files that jotd.conf includes, made from this folder's examples:
# DIR/jotd/upstream.conf (one `server` line per JOTD_ADDR, host:port, with
# the example's max_fails/fail_timeout) and DIR/jotd/listen.conf (listen on
# 127.0.0.1:PORT). Then prints the command that runs nginx in the
# foreground:
#   nginx -e stderr -p DIR/ -c DIR/nginx.conf -g 'daemon off;'
set -eu
[ $# -ge 3 ] || { echo "usage: $0 DIR PORT JOTD_ADDR..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$1" && pwd)
port=$2
shift 2
case $port in ''|*[!0-9]*) echo "$0: PORT must be a number" >&2; exit 2 ;; esac

mkdir -p "$dir/jotd" "$dir/tmp" "$dir/html"

# The example's parameters of a server line (max_fails=... fail_timeout=...).
params=$(sed -n 's/^[[:space:]]*server[[:space:]]\{1,\}[^[:space:];]\{1,\}\([^;]*\);.*/\1/p' \
  "$here/jotd/upstream.conf" | head -n 1)
{
  echo "# written by deploy/nginx/local.sh from deploy/nginx/jotd/upstream.conf"
  for addr in "$@"; do
    echo "server $addr$params;"
  done
} >"$dir/jotd/upstream.conf"

{
  echo "# written by deploy/nginx/local.sh from deploy/nginx/jotd/listen.conf"
  sed "s/^[[:space:]]*listen[[:space:]].*/listen 127.0.0.1:$port;/" "$here/jotd/listen.conf"
} >"$dir/jotd/listen.conf"

cat >"$dir/nginx.conf" <<CONF
# written by deploy/nginx/local.sh: the main file that Debian's
# /etc/nginx/nginx.conf is in production, for an unprivileged nginx.
worker_processes 1;
pid $dir/nginx.pid;
error_log stderr warn;
events {
    worker_connections 1024;
}
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    default_type application/octet-stream;
    include $here/jotd.conf;
}
CONF
echo "nginx -e stderr -p $dir/ -c $dir/nginx.conf -g 'daemon off;'"

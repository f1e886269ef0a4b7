#!/usr/bin/env bash
# tests/server/nginx.sh - see nginx.py. Bounded: 300 s.
here=$(cd "$(dirname "$0")" && pwd)
exec timeout -k 10 300 /usr/bin/python3 "$here/nginx.py"

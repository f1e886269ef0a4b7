#!/usr/bin/env bash
# tests/server/multi_instance.sh - see multi_instance.py. Bounded: 400 s.
here=$(cd "$(dirname "$0")" && pwd)
exec timeout -k 10 400 /usr/bin/python3 "$here/multi_instance.py"

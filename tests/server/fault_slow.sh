#!/usr/bin/env bash
# Idle, slow and hostile clients: jotd keeps answering others (fault_slow.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec timeout 240 /usr/bin/python3 "$here/fault_slow.py"

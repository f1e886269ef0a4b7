#!/usr/bin/env bash
# A flood of 1,000 concurrent wrong-password logins: bounded memory, then a good login (fault_flood.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec timeout 300 /usr/bin/python3 "$here/fault_flood.py"

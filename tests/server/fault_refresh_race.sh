#!/usr/bin/env bash
# Refresh races across 64 clients with overlapping reuse (fault_refresh_race.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/fault_refresh_race.py"

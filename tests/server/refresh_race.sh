#!/usr/bin/env bash
# 32 parallel refreshes with one token, grace window off and on.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/refresh_race.py"

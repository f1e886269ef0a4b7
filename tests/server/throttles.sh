#!/usr/bin/env bash
# Login and signup limits that cannot be turned against users; no timing
# oracle for dormant accounts; client addresses behind proxies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 600 /usr/bin/python3 "$here/throttles.py"

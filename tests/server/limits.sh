#!/usr/bin/env bash
# Login throttling, the bounded password pool, timeouts, graceful SIGTERM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/limits.py"

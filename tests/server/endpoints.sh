#!/usr/bin/env bash
# Every jotd endpoint: success, and each error status and code.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/endpoints.py"

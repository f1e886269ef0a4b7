#!/usr/bin/env bash
# No token, password or key material in jotd's log; its files mode 0600 (secrets_log.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 120 /usr/bin/python3 "$here/secrets_log.py"

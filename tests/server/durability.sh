#!/usr/bin/env bash
# Every refresh answered 200 is durable: jotd killed with SIGKILL right
# after, then restarted, honours the newest token and recognises the spent
# ones; the store's background checkpointing leaves a consistent file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/durability.py"

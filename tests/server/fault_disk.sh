#!/usr/bin/env bash
# The store's disk full or read-only: 503 JSON errors, no corruption, recovery (fault_disk.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 240 /usr/bin/python3 "$here/fault_disk.py"

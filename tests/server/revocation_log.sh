#!/usr/bin/env bash
# Revocations reach every instance by the store's log, never by clocks;
# LISTEN/NOTIFY on PostgreSQL; a restart keeps them as long as they matter.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 420 /usr/bin/python3 "$here/revocation_log.py"

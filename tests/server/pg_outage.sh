#!/usr/bin/env bash
# The PostgreSQL server stops under load: 503 JSON errors, /verify still
# 200 from memory; it starts again: jotd recovers without a restart.
# Skipped (exit 77, with the reason) without JOTD_TEST_PG_URL/_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/pg_outage.py"

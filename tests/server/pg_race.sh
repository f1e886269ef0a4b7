#!/usr/bin/env bash
# Two jotd on one PostgreSQL database: 64 parallel refreshes of one token
# give exactly one 200; reuse is detected whichever instance sees the
# replay; the grace-window successor lives in the database until purged.
# Skipped (exit 77, with the reason) without JOTD_TEST_PG_URL.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/pg_race.py"

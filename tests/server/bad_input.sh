#!/usr/bin/env bash
# Malformed JSON, wrong content types, oversized bodies, unknown paths and
# methods, header floods: 4xx JSON, never 5xx, never a crash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/bad_input.py"

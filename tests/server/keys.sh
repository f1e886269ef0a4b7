#!/usr/bin/env bash
# PyJWT against the JWKS, key rotation, restart, file modes, algorithms.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/keys.py"

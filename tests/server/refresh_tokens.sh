#!/usr/bin/env bash
# Refresh tokens: HS256 under a key derived from the master key; refusal of
# algorithm confusion; tokens of the earlier format (signed with the
# signing key) still honoured; the store's migration to schema 2 keeps
# every session.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/refresh_tokens.py"

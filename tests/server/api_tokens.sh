#!/usr/bin/env bash
# API tokens: create (shape, typ api+jwt, lifetime bounds), list without the
# tokens, /verify accepts them and refuses them once revoked (on a second
# jotd sharing the store too), other users get 404, the store keeps hashes,
# at most 100 live tokens and 1,000 rows per user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/api_tokens.py"

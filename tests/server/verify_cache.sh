#!/usr/bin/env bash
# /verify's cache of verified access tokens: a hit answers like a miss, and
# never outlives the token's exp, its family's revocation, or one changed
# byte of the token.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/verify_cache.py"

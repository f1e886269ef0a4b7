#!/usr/bin/env bash
# A user's logins: GET /sessions (user agent, address, current one),
# DELETE /sessions/{id} (its refresh and access tokens stop working),
# POST /sessions/revoke-others, 404 for another user's login.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/sessions.py"

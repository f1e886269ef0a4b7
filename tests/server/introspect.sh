#!/usr/bin/env bash
# POST /introspect (RFC 7662): Basic authentication as the configured
# resource server; active with the RFC 7662 members for live access and API
# tokens; {"active":false} for revoked, expired, foreign, refresh, garbage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/introspect.py"

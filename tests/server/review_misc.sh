#!/usr/bin/env bash
# Weak passwords refused with a reason; /revoke ends API tokens; no access
# token outlives its login.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/review_misc.py"

#!/usr/bin/env bash
# The refresh grace window answers only the client that spent the token.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/grace_binding.py"

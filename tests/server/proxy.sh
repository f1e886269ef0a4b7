#!/usr/bin/env bash
# X-Forwarded-For from trusted proxies only (login limits, sessions list);
# --dashboard off.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/proxy.py"

#!/usr/bin/env bash
# Exact contract details an outside client relies on, and the fixes of the
# review of jotd: the /verify challenge, cookie logout, Prometheus histogram
# consistency, what the log keeps of unknown paths, the failed-login table's
# bound, login timing for unknown users.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 600 /usr/bin/python3 "$here/contract.py"

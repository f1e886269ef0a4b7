#!/usr/bin/env bash
# Request smuggling: ambiguous framing (Content-Length with Transfer-Encoding,
# two Content-Lengths, odd transfer codings) is refused and the connection
# closed, so that no byte after it is ever read as another request.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 300 /usr/bin/python3 "$here/smuggling.py"

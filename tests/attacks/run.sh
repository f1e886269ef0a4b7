#!/bin/bash
# tests/attacks/run.sh - the JWT attack suite (attacks.jsonl) against the
# real `jot verify`: every published attack rejected with the contract's
# code. Env: JOT (the jot binary), JOT_VALGRIND=1 (under valgrind memcheck).
here=$(cd "$(dirname "$0")" && pwd)
exec timeout 900 /usr/bin/python3 "$here/run.py" "$@"

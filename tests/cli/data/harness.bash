# tests/cli/data/harness.bash - sourced by the tests/cli/*.sh scripts.
#
# JOT is the jot binary (CTest sets it). It is used unquoted, so that it may
# be a command with arguments, e.g.
#   JOT="valgrind -q --error-exitcode=99 --leak-check=full build/cli/jot"
# JOT_VALGRIND=1 wraps JOT in such a valgrind command; any other non-empty
# JOT_VALGRIND value is used as the wrapper command itself.
#
# Every expectation that fails stops the script at once with a message and
# exit status 1; a script that gets to its end prints "N passed, 0 failed".

set -u

if [ -z "${JOT:-}" ]; then
    echo "FAIL: JOT is not set (the path of the jot binary)" >&2
    exit 1
fi
case "${JOT_VALGRIND:-}" in
'') ;;
1 | yes | on) JOT="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect $JOT" ;;
*) JOT="$JOT_VALGRIND $JOT" ;;
esac

# PyJWT and cryptography are Debian's, in the system Python.
PY=/usr/bin/python3
DATA=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/jot-cli-test.XXXXXX") || {
    echo "FAIL: mktemp" >&2
    exit 1
}
trap 'rm -rf "$T"' EXIT
PASSED=0
OUT=
ERR=
RC=0

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    echo "$PASSED passed, 1 failed"
    exit 1
}

pass() {
    PASSED=$((PASSED + 1))
}

finish() {
    echo "$PASSED passed, 0 failed"
    exit 0
}

# jot ARGS...: run jot; its stdout in OUT, stderr in ERR, status in RC.
# Stdin is STDIN_FILE when set (STDIN_FILE=f jot ...), else /dev/null.
jot() {
    OUT=$($JOT "$@" 2>"$T/.stderr" <"${STDIN_FILE:-/dev/null}")
    RC=$?
    ERR=$(cat "$T/.stderr")
}

first_line() {
    printf '%s\n' "$1" | head -n 1
}

# expect_ok DESC ARGS...: jot ARGS exits 0.
expect_ok() {
    local desc=$1
    shift
    jot "$@"
    [ "$RC" -eq 0 ] || fail "$desc: exit $RC, want 0 (jot $*); stderr: $ERR"
    pass
}

# expect_rc CODE DESC ARGS...: jot ARGS exits CODE; a failure writes one
# line on stderr, starting with "jot: ".
expect_rc() {
    local want=$1 desc=$2
    shift 2
    jot "$@"
    [ "$RC" -eq "$want" ] || fail "$desc: exit $RC, want $want (jot $*); stderr: $ERR"
    if [ "$want" -ne 0 ]; then
        case "$ERR" in
        "jot: "*) ;;
        *) fail "$desc: stderr does not start with 'jot: ': $ERR" ;;
        esac
        [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$desc: stderr is not one line: $ERR"
    fi
    pass
}

# expect_usage DESC ARGS...: exit 2 with one "jot: " line.
expect_usage() {
    local desc=$1
    shift
    expect_rc 2 "$desc" "$@"
}

# expect_reject CODE DESC VERIFY-ARGS...: `jot verify VERIFY-ARGS` exits 1
# and stderr's first line is "jot: rejected: CODE: detail".
expect_reject() {
    local code=$1 desc=$2
    shift 2
    jot verify "$@"
    [ "$RC" -eq 1 ] || fail "$desc: exit $RC, want 1 (jot verify $*); stderr: $ERR"
    local line
    line=$(first_line "$ERR")
    case "$line" in
    "jot: rejected: $code: "?*) ;;
    *) fail "$desc: stderr first line '$line', want 'jot: rejected: $code: ...'" ;;
    esac
    [ -z "$OUT" ] || fail "$desc: a rejected token printed something on stdout: $OUT"
    pass
}

# json_subset JSON EXPECTED: every member of the object EXPECTED is in the
# object JSON with an equal value (nested objects: recursively a subset;
# true is not 1).
json_subset() {
    $PY -c '
import json, sys
def sub(a, b):
    # b is a subset of a: objects member by member, other values equal.
    if isinstance(b, dict):
        return isinstance(a, dict) and all(k in a and sub(a[k], v) for k, v in b.items())
    return a == b and type(a) == type(b)
a = json.loads(sys.argv[1]); b = json.loads(sys.argv[2])
bad = [k for k in b if k not in a or not sub(a[k], b[k])]
if bad:
    sys.stderr.write("members differ: %s\n" % bad)
    sys.exit(1)
' "$1" "$2"
}

# json_get JSON KEY: print member KEY of a JSON object (strings bare, other
# values as JSON); exit 1 when absent.
json_get() {
    $PY -c '
import json, sys
a = json.loads(sys.argv[1])
if sys.argv[2] not in a:
    sys.exit(1)
v = a[sys.argv[2]]
print(v if isinstance(v, str) else json.dumps(v))
' "$1" "$2"
}

# craft HEADER PAYLOAD SECRET_FILE [HASH]: a compact JWS of exactly these
# header and payload bytes, MACed with HMAC-HASH (default sha256) under the
# file's bytes. Made outside jot, so that a token can be as odd as a test
# needs (crit, duplicate members, alg none, bad UTF-8...). os.fsencode gives
# back the exact bytes of the arguments, invalid UTF-8 included.
craft() {
    $PY -c '
import base64, hashlib, hmac, os, sys
def b64(x): return base64.urlsafe_b64encode(x).rstrip(b"=")
h = b64(os.fsencode(sys.argv[1])); p = b64(os.fsencode(sys.argv[2]))
key = open(sys.argv[3], "rb").read()
mac = hmac.new(key, h + b"." + p, getattr(hashlib, sys.argv[4])).digest()
sys.stdout.write((h + b"." + p + b"." + b64(mac)).decode())
' "$1" "$2" "$3" "${4:-sha256}"
}

# truncate_sig TOKEN: the token with the last byte of its signature cut
# off, still in canonical base64url (a wrong length, not a bad encoding).
truncate_sig() {
    $PY -c '
import base64, sys
h, p, s = sys.argv[1].rsplit(".", 2)
raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
print(h + "." + p + "." + base64.urlsafe_b64encode(raw[:-1]).rstrip(b"=").decode())
' "$1"
}

# b64url TEXT: base64url of TEXT without padding.
b64url() {
    printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='
}

# tamper_sig TOKEN: the token with one signature character changed, in the
# middle, where every bit of the character counts.
tamper_sig() {
    local head=${1%.*} sig=${1##*.}
    local i=$((${#sig} / 2))
    local ch=${sig:$i:1} new=A
    [ "$ch" = A ] && new=B
    printf '%s.%s%s%s' "$head" "${sig:0:$i}" "$new" "${sig:$((i + 1))}"
}

# decode_header TOKEN: set HDR to the token's protected header (JSON), as
# `jot decode` shows it.
decode_header() {
    jot decode "$1"
    [ "$RC" -eq 0 ] || fail "decode of a token jot made: exit $RC: $ERR"
    HDR=$($PY -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["header"]))' "$OUT") ||
        fail "decode printed no {header, payload} object: $OUT"
}

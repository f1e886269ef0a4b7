#!/bin/bash
# tests/cli/decode.sh - `jot decode`: shows header and payload of a
# well-formed JWS without verifying it, says so, and refuses the rest.
. "$(dirname "$0")/data/harness.bash"

head -c 32 /dev/urandom >"$T/s32"
jot sign --secret-file "$T/s32" --alg HS256 --kid k7 --sub alice --claims '{"n":[1,2,{"a":null}]}'
[ "$RC" -eq 0 ] || fail "sign: $ERR"
tok=$OUT

expect_ok "decode a token" decode "$tok"
$PY - "$OUT" <<'EOF' || fail "decode output: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert list(d) == ["header", "payload"], list(d)
assert d["header"] == {"alg": "HS256", "typ": "JWT", "kid": "k7"}, d["header"]
assert d["payload"] == {"sub": "alice", "n": [1, 2, {"a": None}]}, d["payload"]
EOF
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ] || fail "decode output is not one line"
case "$ERR" in "jot: "*verif*) ;; *) fail "decode did not warn that nothing was verified: $ERR" ;; esac
pass

# Nothing is verified: a bad signature decodes all the same, and so does a
# token whose alg is none.
expect_ok "decode ignores the signature" decode "$(tamper_sig "$tok")"
none="$(b64url '{"alg":"none"}').$(b64url '{"sub":"x"}')."
expect_ok "decode of alg none" decode "$none"
json_subset "$OUT" '{"header":{"alg":"none"},"payload":{"sub":"x"}}' || fail "decode alg none: $OUT"
pass

# A payload that is not JSON is shown as a JSON string.
plain="$(b64url '{"alg":"HS256"}').$(b64url 'hello, world').$(b64url sig)"
expect_ok "decode a non-JSON payload" decode "$plain"
json_subset "$OUT" '{"payload":"hello, world"}' || fail "decode of a text payload: $OUT"
pass

# stdin, with white space around.
printf '\n  %s \n' "$tok" >"$T/tok"
STDIN_FILE="$T/tok" expect_ok "decode from stdin" decode
json_subset "$OUT" '{"header":{"kid":"k7"}}' || fail "decode stdin: $OUT"
pass
STDIN_FILE="$T/tok" expect_ok "decode -" decode -

# Not a well-formed JWS: exit 1, one line on stderr, nothing on stdout.
for bad in abc "a.b" "$tok.x" "$(b64url '[1]').$(b64url '{}').$(b64url s)" \
    "$(b64url '{"alg":"HS256"').$(b64url '{}').$(b64url s)" "$(b64url '{"alg":"HS256"}').e!!.$(b64url s)" ""; do
    expect_rc 1 "decode '$bad'" decode "$bad"
    [ -z "$OUT" ] || fail "decode of a bad token printed: $OUT"
    pass
done
expect_rc 1 "decode over --max-size" decode --max-size 20 "$tok"
expect_ok "decode under --max-size" decode --max-size ${#tok} "$tok"
expect_usage "decode of two tokens" decode "$tok" "$tok"
expect_usage "decode, unknown option" decode --key x "$tok"

finish
